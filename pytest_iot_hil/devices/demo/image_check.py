"""What the demo bootloader will say about an image: a line-by-line model of
``image_validate()`` in ``firmware_fixtures/src/core/image.c``.

Tests use it as an oracle: the expected NACK code of an OTA FINISH, or
whether a slot's contents may boot.  The checks run in the C order, because
the *first* failing check decides the code (a payload flip in an image with a
wrong load address is E_LOADADDR, not E_HASH).  Unlike :func:`read_image`, it
never raises: a bad image is a result, not an error.
"""

from __future__ import annotations

import functools
import hashlib
import struct
from pathlib import Path

from ...images.mcuboot import IMAGE_F_ROM_FIXED, IMAGE_MAGIC, TLV_INFO_MAGIC, TLV_PROT_INFO_MAGIC, TLV_SEC_CNT, TLV_SHA256
from ...images.signing import TLV_ED25519, TLV_KEYHASH, key_hash, public_key, verify_ed25519
from .layout import ERASED_BYTE, HEADER_SIZE, board_of_slot, signing_key

#: Result names as ``img_result_name()`` prints them (and OTA refusals carry them).
RESULTS = ("OK", "E_MAGIC", "E_LOADADDR", "E_SIZE", "E_TLV", "E_HASH", "E_ROLLBACK", "E_SIG", "E_KEY")

_ERASED = ERASED_BYTE


class _Flash:
    """The slot as the bootloader reads it: the bytes, then erased flash."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def read(self, off: int, n: int) -> bytes:
        chunk = self.data[off : off + n]
        return chunk + bytes([_ERASED]) * (n - len(chunk))

    def u16(self, off: int) -> int:
        return struct.unpack("<H", self.read(off, 2))[0]

    def u32(self, off: int) -> int:
        return struct.unpack("<I", self.read(off, 4))[0]


def digest_prefix(sha256: bytes) -> int:
    """The 4-byte digest the journal stores: the first 4 bytes of the SHA-256, big-endian."""
    return int.from_bytes(sha256[:4], "big")


def _scan(f: _Flash, start: int, size: int, protected: bool) -> tuple[str, int | None, dict[int, bytes]]:
    """SEC_CNT of the protected area; the SHA256, KEYHASH and signature values of the unprotected one."""
    sec_cnt: int | None = None
    found: dict[int, bytes] = {}
    # type -> (length, code for a wrong length or a second one)
    allowed = {TLV_SHA256: (32, "E_TLV"), TLV_KEYHASH: (32, "E_KEY"), TLV_ED25519: (64, "E_SIG")}
    off, end = start + 4, start + size
    while off < end:
        if end - off < 4:
            return "E_TLV", None, {}
        tlv_type, length = f.u16(off), f.u16(off + 2)
        off += 4
        if length > end - off:
            return "E_TLV", None, {}
        if protected:
            if tlv_type == TLV_SEC_CNT:
                if sec_cnt is not None or length != 4:
                    return "E_TLV", None, {}
                sec_cnt = f.u32(off)
            # other protected TLVs are covered by the hash and ignored
        elif tlv_type in allowed:
            want, code = allowed[tlv_type]
            if length != want or tlv_type in found:
                return code, None, {}
            found[tlv_type] = f.read(off, want)
        elif tlv_type != TLV_SEC_CNT:
            # allow-list; a SEC_CNT out here is outside the signed area and never read
            return "E_TLV", None, {}
        off += length
    return "OK", sec_cnt, found


@functools.lru_cache(maxsize=8)
def _trusted(key: Path) -> tuple[bytes, bytes]:
    raw = public_key(key)
    return raw, key_hash(raw)


def check_demo_image(
    slot: bytes,
    *,
    slot_base: int,
    limit: int | None = None,
    floor: int = 0,
    expected_digest: int | None = None,
    trusted_key: str | Path | None = None,
) -> str:
    """The ``img_result`` name the demo firmware gives ``slot`` (the bytes from the slot base on).

    ``limit`` is how far the image may reach: the slot size at boot, the
    announced transfer size at OTA FINISH (default: the slot size of the board
    whose slot starts at ``slot_base``, mps2 or STM32F4).  Bytes past the end of ``slot`` read
    as erased flash (0xFF).  ``expected_digest`` is the journal's 4-byte digest
    (see :func:`digest_prefix`), checked at boot for PENDING and CONFIRMED slots.
    ``trusted_key`` is the key (PEM) whose public half the bootloader holds:
    the demo's test key unless given.
    """
    board = board_of_slot(slot_base)
    limit = board.slot_size if limit is None else limit
    f = _Flash(bytes(slot))
    if f.u32(0) != IMAGE_MAGIC:
        return "E_MAGIC"
    load_addr, hdr_size, prot_size, img_size, flags = f.u32(4), f.u16(8), f.u16(10), f.u32(12), f.u32(16)
    if not flags & IMAGE_F_ROM_FIXED or load_addr != slot_base:
        return "E_LOADADDR"
    if hdr_size != HEADER_SIZE or limit > board.slot_size or limit < hdr_size:
        return "E_SIZE"
    if img_size > limit - hdr_size:
        return "E_SIZE"
    prot_start = hdr_size + img_size
    if prot_size == 0:
        return "E_TLV"  # SEC_CNT is mandatory
    if prot_size > limit - prot_start or prot_size < 4:
        return "E_SIZE"
    if f.u16(prot_start) != TLV_PROT_INFO_MAGIC or f.u16(prot_start + 2) != prot_size:
        return "E_TLV"
    unprot_start = prot_start + prot_size
    if limit - unprot_start < 4:
        return "E_SIZE"
    unprot_size = f.u16(unprot_start + 2)
    if f.u16(unprot_start) != TLV_INFO_MAGIC or unprot_size < 4:
        return "E_TLV"
    if unprot_size > limit - unprot_start:
        return "E_SIZE"

    result, sec_cnt, _ = _scan(f, prot_start, prot_size, True)
    if result != "OK":
        return result
    result, _, found = _scan(f, unprot_start, unprot_size, False)
    if result != "OK":
        return result
    if sec_cnt is None or TLV_SHA256 not in found:
        return "E_TLV"

    calc = hashlib.sha256(f.read(0, unprot_start)).digest()
    if calc != found[TLV_SHA256]:
        return "E_HASH"
    if TLV_ED25519 not in found:
        return "E_SIG"
    if TLV_KEYHASH not in found:
        return "E_KEY"
    raw, ours = _trusted(Path(trusted_key) if trusted_key is not None else signing_key())
    if found[TLV_KEYHASH] != ours:
        return "E_KEY"
    if not verify_ed25519(raw, found[TLV_ED25519], calc):
        return "E_SIG"
    if sec_cnt < floor:
        return "E_ROLLBACK"
    if expected_digest is not None and expected_digest != digest_prefix(calc):
        return "E_HASH"
    sp, pc = f.u32(hdr_size), f.u32(hdr_size + 4)
    code_start = slot_base + hdr_size
    code_end = code_start + img_size
    # The initial SP must point into the SRAM the app links for.
    if img_size < 8 or not board.ram.start <= sp <= board.ram.end or not pc & 1 or not code_start <= (pc & ~1) < code_end:
        return "E_LOADADDR"
    return "OK"
