"""Bad variants of any good image, for the attack tests (tampered, truncated, mixed or misplaced images).

Every helper takes the bytes of a well-formed image and returns new bytes; the
input is never changed.  Byte-level helpers (``flip_byte``, ``truncate``,
``set_load_addr``, ``mix_and_match``) break the image; the re-signing helpers
(``resign``, ``wrong_slot``) build a *valid* image with imgtool that the
bootloader must still refuse for another reason (rollback floor, wrong slot).
"""

from __future__ import annotations

import struct

from .build import sign_bytes
from .mcuboot import REGIONS, TLV_SEC_CNT, TLV_SHA256, ImageInfo, read_image

_LOAD_ADDR_OFFSET = 4


def _default_offset(info: ImageInfo, region: str) -> int:
    # Defaults hit a field the bootloader validates, so the flip cannot land
    # in padding that nothing reads:
    #   header: byte 0 of the magic; payload: byte 0 (the initial SP);
    #   protected_tlv: the SEC_CNT value; tlv: the SHA-256 value.
    wanted = {"protected_tlv": TLV_SEC_CNT, "tlv": TLV_SHA256}.get(region)
    if wanted is not None:
        protected = region == "protected_tlv"
        tlv = next((t for t in info.tlvs if t.type == wanted and t.protected == protected), None)
        if tlv is not None:
            return tlv.value_offset - info.region_range(region).start
    return 0


def flip_byte(image: bytes, region: str, offset: int | None = None, mask: int = 0x01) -> bytes:
    """XOR one byte of ``region`` (``header``, ``payload``, ``protected_tlv``, ``tlv``) with ``mask``.

    ``offset`` is relative to the start of the region (the TLV regions start
    at their 4-byte info header).  By default it hits a validated field: the
    header magic, the first payload byte, the SEC_CNT value, the SHA-256 value.
    """
    if region not in REGIONS:
        raise ValueError(f"unknown image region {region!r}: choose one of {', '.join(REGIONS)}")
    if not 0 < mask <= 0xFF:
        raise ValueError(f"mask must be 1..0xff, not {mask:#x}")
    info = read_image(image)
    r = info.region_range(region)
    if offset is None:
        offset = _default_offset(info, region)
    if not 0 <= offset < len(r):
        raise ValueError(f"offset {offset:#x} is outside the {region} region ({len(r):#x} bytes)")
    out = bytearray(image)
    out[r.start + offset] ^= mask
    return bytes(out)


def truncate(image: bytes, size: int | None = None) -> bytes:
    """The first ``size`` bytes of ``image``; by default cut in the middle of the unprotected TLVs.

    The default cut leaves every header and TLV info intact but the SHA-256
    value incomplete: the sizes announce bytes that never arrive.
    """
    info = read_image(image)
    if size is None:
        size = info.tlv_range.start + len(info.tlv_range) // 2
    if not 0 <= size < info.total_size:
        raise ValueError(f"size {size:#x} does not cut the image ({info.total_size:#x} bytes)")
    return bytes(image[:size])


def set_load_addr(image: bytes, load_addr: int) -> bytes:
    """Rewrite ``ih_load_addr`` without re-signing: the hash no longer matches."""
    read_image(image)
    out = bytearray(image)
    struct.pack_into("<I", out, _LOAD_ADDR_OFFSET, load_addr)
    return bytes(out)


def mix_and_match(header_and_tlvs_from: bytes, payload_from: bytes) -> bytes:
    """Header and TLVs of one image around the payload of another (same payload size)."""
    a, b = read_image(header_and_tlvs_from), read_image(payload_from)
    if a.img_size != b.img_size:
        raise ValueError(f"payload sizes differ ({a.img_size:#x} vs {b.img_size:#x}): pick images of equal size")
    return a.data[: a.payload_range.start] + b.payload + a.data[a.payload_range.stop :]


def resign(
    image: bytes,
    *,
    security_counter: int,
    version: str | None = None,
    slot_base: int | None = None,
    slot_size: int,
) -> bytes:
    """Sign the payload of ``image`` again with imgtool, changing its security counter.

    The version (build number included), load address and header size are
    kept unless given; ``slot_size`` is the target's slot size (imgtool checks the image fits).  With a counter below the device's floor this is a
    *validly built* downgrade image: only anti-rollback may stop it.
    """
    info = read_image(image)
    return sign_bytes(
        info.payload,
        version=version if version is not None else info.version,
        security_counter=security_counter,
        slot_base=slot_base if slot_base is not None else info.load_addr,
        slot_size=slot_size,
        header_size=info.hdr_size,
    )


def other_slot_base(load_addr: int, slot_bases: dict[str, int]) -> int:
    """The base of the slot that ``load_addr`` is not (two-slot layouts only)."""
    bases = sorted(set(slot_bases.values()))
    if len(bases) != 2 or load_addr not in bases:
        raise ValueError(f"load address {load_addr:#x} is not one of the two slot bases {[hex(b) for b in bases]}")
    return bases[1] if load_addr == bases[0] else bases[0]


def wrong_slot(image: bytes, *, slot_bases: dict[str, int], slot_size: int) -> bytes:
    """Re-sign the payload with the *other* slot's base as load address.

    Header, hash and counter are all valid, but the code is still linked for
    the original slot: the bootloader must catch it by its vector table, not
    by the header (whose load address matches the slot the image is put in).
    """
    info = read_image(image)
    if info.security_counter is None:
        raise ValueError("the image has no protected SEC_CNT TLV to carry over")
    return resign(
        image,
        security_counter=info.security_counter,
        slot_base=other_slot_base(info.load_addr, slot_bases),
        slot_size=slot_size,
    )
