"""MCUboot images: read them, build them with imgtool, and break them on purpose.

* ``mcuboot`` - :func:`read_image` (header, TLVs, hash) and imgtool's verdict;
* ``build``   - :func:`sign`, the Makefile's imgtool call;
* ``tamper``  - bad variants of any good image (bit flips, truncation, re-signing);
* ``validate``- :func:`check_demo_image`, the demo bootloader's verdict, as an oracle.
"""

from .build import DEMO_SLOT_BASES, DEMO_SLOT_SIZE, ImageBuildError, sign, sign_bytes
from .mcuboot import REGIONS, ImageFormatError, ImageInfo, Tlv, read_image, verify_with_imgtool
from .tamper import flip_byte, mix_and_match, resign, set_load_addr, truncate, wrong_slot
from .validate import check_demo_image, digest_prefix

__all__ = [
    "DEMO_SLOT_BASES", "DEMO_SLOT_SIZE", "REGIONS", "ImageBuildError", "ImageFormatError", "ImageInfo", "Tlv",
    "check_demo_image", "digest_prefix", "flip_byte", "mix_and_match", "read_image", "resign", "set_load_addr",
    "sign", "sign_bytes", "truncate", "verify_with_imgtool", "wrong_slot",
]
