"""MCUboot images: read them, build them with imgtool, and break them on purpose.

* ``mcuboot`` - :func:`read_image` (header, TLVs, hash), :func:`peek_image` (what a
  possibly torn slot's header claims, never raising) and imgtool's verdict;
* ``build``   - :func:`sign`, the Makefile's imgtool call;
* ``tamper``  - bad variants of any good image (bit flips, truncation, re-signing);
* ``validate``- :func:`check_demo_image`, the demo bootloader's verdict, as an oracle.
"""

from .build import DEMO_SLOT_BASES, DEMO_SLOT_SIZE, ImageBuildError, sign, sign_bytes
from .mcuboot import (
    IMAGE_MAGIC, REGIONS, TLV_SEC_CNT, ImageFormatError, ImageInfo, ImagePeek, Tlv, peek_image, read_image,
    verify_with_imgtool,
)
from .tamper import flip_byte, mix_and_match, resign, set_load_addr, truncate, wrong_slot
from .validate import check_demo_image, digest_prefix

__all__ = [
    "DEMO_SLOT_BASES", "DEMO_SLOT_SIZE", "IMAGE_MAGIC", "REGIONS", "TLV_SEC_CNT", "ImageBuildError", "ImageFormatError",
    "ImageInfo", "ImagePeek", "Tlv", "peek_image",
    "check_demo_image", "digest_prefix", "flip_byte", "mix_and_match", "read_image", "resign", "set_load_addr",
    "sign", "sign_bytes", "truncate", "verify_with_imgtool", "wrong_slot",
]
