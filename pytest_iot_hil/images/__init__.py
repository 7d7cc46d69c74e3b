"""MCUboot images: read them, build them with imgtool, and break them on purpose.

* ``mcuboot`` - :func:`read_image` (header, TLVs, hash), :func:`peek_image` (what a
  possibly torn slot's header claims, never raising) and imgtool's verdict;
* ``build``   - :func:`sign`, imgtool's ``sign`` with a target's slot geometry;
* ``tamper``  - bad variants of any good image (bit flips, truncation, re-signing).

What a particular bootloader says about an image is its device profile's
(the demo's: ``devices/demo/image_check.py``).
"""

from .build import ImageBuildError, sign, sign_bytes
from .mcuboot import (
    IMAGE_MAGIC, REGIONS, TLV_SEC_CNT, ImageFormatError, ImageInfo, ImagePeek, Tlv, peek_image, read_image,
    verify_with_imgtool,
)
from .tamper import flip_byte, mix_and_match, resign, set_load_addr, truncate, wrong_slot

__all__ = [
    "IMAGE_MAGIC", "REGIONS", "TLV_SEC_CNT", "ImageBuildError", "ImageFormatError", "ImageInfo", "ImagePeek", "Tlv",
    "flip_byte", "mix_and_match", "peek_image", "read_image", "resign", "set_load_addr", "sign", "sign_bytes",
    "truncate", "verify_with_imgtool", "wrong_slot",
]
