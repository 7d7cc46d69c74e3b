"""Bad variants of any good image, for the attack tests (tampered, truncated, mixed or misplaced images).

Every helper takes the bytes of a well-formed image and returns new bytes; the
input is never changed.  Byte-level helpers (``flip_byte``, ``truncate``,
``set_load_addr``, ``mix_and_match``) break the image; the re-signing helpers
(``resign``, ``wrong_slot``, ``sign``) build a *valid* image with imgtool that the
bootloader must still refuse for another reason (rollback floor, wrong slot,
a key it does not trust); the TLV helpers (``remove_tlv``, ``set_tlv``,
``add_tlv``, ``transplant_signature``) edit the unprotected TLVs, which the
hash does not cover (unsigned images, forged or misplaced signatures, a
smuggled SEC_CNT).
"""

from __future__ import annotations

import struct
from pathlib import Path

from .build import sign_bytes
from .mcuboot import REGIONS, TLV_INFO_MAGIC, TLV_INFO_SIZE, TLV_SEC_CNT, TLV_SHA256, ImageInfo, read_image
from .signing import TLV_ED25519, TLV_KEYHASH

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
    """The first ``size`` bytes of ``image``; by default cut in the middle of the SHA-256 value.

    The default cut leaves every header and TLV info intact but the SHA-256
    value incomplete: the sizes announce bytes that never arrive.  (An image
    without a SHA-256 TLV is cut in the middle of its unprotected TLVs.)
    """
    info = read_image(image)
    if size is None:
        sha = next((t for t in info.tlvs if t.type == TLV_SHA256 and not t.protected), None)
        size = sha.value_offset + len(sha.value) // 2 if sha else info.tlv_range.start + len(info.tlv_range) // 2
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
    key: str | Path | None = None,
) -> bytes:
    """Sign the payload of ``image`` again with imgtool, changing its security counter.

    The version (build number included), load address and header size are
    kept unless given; ``slot_size`` is the target's slot size (imgtool checks the image fits).  With a counter below the device's floor this is a
    *validly built* downgrade image: only anti-rollback may stop it.  ``key``
    is the signing key (an Ed25519 PEM); without one the image is hash-only.
    """
    info = read_image(image)
    return sign_bytes(
        info.payload,
        version=version if version is not None else info.version,
        security_counter=security_counter,
        slot_base=slot_base if slot_base is not None else info.load_addr,
        slot_size=slot_size,
        header_size=info.hdr_size,
        key=key,
    )


def other_slot_base(load_addr: int, slot_bases: dict[str, int]) -> int:
    """The base of the slot that ``load_addr`` is not (two-slot layouts only)."""
    bases = sorted(set(slot_bases.values()))
    if len(bases) != 2 or load_addr not in bases:
        raise ValueError(f"load address {load_addr:#x} is not one of the two slot bases {[hex(b) for b in bases]}")
    return bases[1] if load_addr == bases[0] else bases[0]


def wrong_slot(image: bytes, *, slot_bases: dict[str, int], slot_size: int, key: str | Path | None = None) -> bytes:
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
        key=key,
    )


# -- the unprotected TLVs: what a signature attack edits ---------------------------------------
#
# The unprotected TLV area (SHA256, KEYHASH, the signature) is outside the
# hash, so anyone can rewrite it without breaking the hash: these helpers do
# exactly that, keeping the area's info header (its total size) right.


def _with_unprotected(image: bytes, entries: list[tuple[int, bytes]]) -> bytes:
    info = read_image(image)
    body = b"".join(struct.pack("<HH", t, len(v)) + v for t, v in entries)
    size = TLV_INFO_SIZE + len(body)
    if size > 0xFFFF:
        raise ValueError(f"the unprotected TLV area would be {size} bytes, more than its u16 size field holds")
    return info.data[: info.tlv_range.start] + struct.pack("<HH", TLV_INFO_MAGIC, size) + body


def unprotected_tlvs(image: bytes) -> list[tuple[int, bytes]]:
    """The unprotected TLVs of ``image`` as (type, value) pairs, in file order."""
    return [(t.type, t.value) for t in read_image(image).tlvs if not t.protected]


def remove_tlv(image: bytes, tlv_type: int) -> bytes:
    """``image`` without its unprotected TLVs of ``tlv_type`` (e.g. the signature: an unsigned image)."""
    entries = unprotected_tlvs(image)
    if not any(t == tlv_type for t, _ in entries):
        raise ValueError(f"the image has no unprotected TLV {tlv_type:#x}")
    return _with_unprotected(image, [(t, v) for t, v in entries if t != tlv_type])


def set_tlv(image: bytes, tlv_type: int, value: bytes) -> bytes:
    """Replace the value of the (first) unprotected TLV ``tlv_type``; the length may change (truncate, extend)."""
    entries = unprotected_tlvs(image)
    at = next((i for i, (t, _) in enumerate(entries) if t == tlv_type), None)
    if at is None:
        raise ValueError(f"the image has no unprotected TLV {tlv_type:#x}")
    entries[at] = (tlv_type, bytes(value))
    return _with_unprotected(image, entries)


def add_tlv(image: bytes, tlv_type: int, value: bytes) -> bytes:
    """Append an unprotected TLV (a second signature, a SEC_CNT smuggled outside the signed area)."""
    return _with_unprotected(image, unprotected_tlvs(image) + [(tlv_type, bytes(value))])


def transplant_signature(image: bytes, donor: bytes) -> bytes:
    """``image`` carrying ``donor``'s key hash and signature: a valid signature, but of another image."""
    theirs = dict(unprotected_tlvs(donor))
    missing = [hex(t) for t in (TLV_KEYHASH, TLV_ED25519) if t not in theirs]
    if missing:
        raise ValueError(f"the donor image has no {' and '.join(missing)} TLV to take (is it signed?)")
    out = image
    for t in (TLV_KEYHASH, TLV_ED25519):
        out = set_tlv(out, t, theirs[t]) if any(k == t for k, _ in unprotected_tlvs(out)) else add_tlv(out, t, theirs[t])
    return out


def sign(
    image: bytes,
    *,
    key: str | Path,
    slot_size: int,
    security_counter: int | None = None,
    version: str | None = None,
    slot_base: int | None = None,
) -> bytes:
    """``image`` signed again with ``key`` (an Ed25519 PEM), keeping its counter, version and load address.

    The way to make an image signed by someone else (another key), or a
    validly signed image that must be refused for another reason.
    """
    info = read_image(image)
    counter = security_counter if security_counter is not None else info.security_counter
    if counter is None:
        raise ValueError("the image has no protected SEC_CNT to keep: pass security_counter=")
    return resign(image, security_counter=counter, version=version, slot_base=slot_base, slot_size=slot_size,
                  key=key)
