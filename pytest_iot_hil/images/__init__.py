"""MCUboot images: read them, build them with imgtool, and break them on purpose.

* ``mcuboot`` - :func:`read_image` (header, TLVs, hash), :func:`peek_image` (what a
  possibly torn slot's header claims, never raising) and imgtool's verdict;
* ``build``   - :func:`sign`, imgtool's ``sign`` with a target's slot geometry;
* ``tamper``  - bad variants of any good image (bit flips, truncation, re-signing
  with any key: ``tamper.sign``, edits of the unprotected TLVs);
* ``signing`` - Ed25519 keys, key hashes and signature checks (``cryptography``).

What a particular bootloader says about an image is its device profile's
(the demo's: ``devices/demo/image_check.py``).
"""

from .build import ImageBuildError, sign, sign_bytes
from .mcuboot import (
    IMAGE_MAGIC, REGIONS, TLV_SEC_CNT, ImageFormatError, ImageInfo, ImagePeek, Tlv, peek_image, read_image,
    verify_with_imgtool,
)
from .signing import TLV_ED25519, TLV_KEYHASH, key_hash, public_key, verify_ed25519
from .tamper import (
    add_tlv, flip_byte, mix_and_match, remove_tlv, resign, set_load_addr, set_tlv, transplant_signature, truncate,
    unprotected_tlvs, wrong_slot,
)
from .tamper import sign as sign_image

__all__ = [
    "IMAGE_MAGIC", "REGIONS", "TLV_SEC_CNT", "ImageBuildError", "ImageFormatError", "ImageInfo", "ImagePeek", "Tlv",
    "flip_byte", "mix_and_match", "peek_image", "read_image", "resign", "set_load_addr", "sign", "sign_bytes",
    "truncate", "verify_with_imgtool", "wrong_slot",
    "TLV_ED25519", "TLV_KEYHASH", "key_hash", "public_key", "verify_ed25519",
    "add_tlv", "remove_tlv", "set_tlv", "sign_image", "transplant_signature", "unprotected_tlvs",
]
