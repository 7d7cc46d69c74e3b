"""The secure-boot attack matrix of the demo device, as data.

:func:`attack_matrix` builds, from the demo's own good images, every image
the design notes say a device must refuse (``ota-reference.md`` §3), each
with the reason the demo firmware gives for it (``REFUSED <code> <detail>``
on its console, and SMP's ``rsn``). The images are made with the generic
tamper helpers of :mod:`pytest_iot_hil.images.tamper`, so a team can build
the same matrix for its own images: take its good image, apply the same
helpers, and write down its own bootloader's reasons.

Each attack is tried twice in the tests: sent through the update client
(refused at the end of the upload, nothing activated) and written straight
into the inactive slot with a PENDING journal record (refused by the
bootloader at boot, which marks the slot BAD and runs the old image).
"""

from __future__ import annotations

import dataclasses
import functools
import struct
from pathlib import Path

from ...images import tamper
from ...images.mcuboot import TLV_SEC_CNT, read_image
from ...images.signing import TLV_ED25519, TLV_KEYHASH, key_hash, public_key
from .images import demo_image
from .layout import Board, attacker_key, current_board, signing_key

# Byte offsets of the protected header fields (MCUboot docs/design.md §Image format).
_HEADER_FIELDS = {
    "ih_magic": (0x00, 0x01),
    "ih_load_addr": (0x05, 0x10),        # bit 12 of the load address: another 4 KiB page
    "ih_hdr_size": (0x08, 0x01),
    "ih_protect_tlv_size": (0x0A, 0x01),
    "ih_img_size": (0x0C, 0x08),
    "ih_flags": (0x10, 0x01),            # a flag the bootloader does not use: only the hash sees it
    "ih_flags.ROM_FIXED": (0x11, 0x01),  # bit 8: IMAGE_F_ROM_FIXED
    "ih_ver.minor": (0x15, 0x01),
    "ih_ver.build_num": (0x18, 0x01),
}

#: The demo firmware's reason for each header field flip (the first check that fails).
_HEADER_REASONS = {
    "ih_magic": "E_MAGIC bad-header-magic",
    "ih_load_addr": "E_LOADADDR not-built-for-this-slot",
    "ih_hdr_size": "E_SIZE bad-size",
    "ih_protect_tlv_size": "E_TLV bad-tlv-area",
    "ih_img_size": "E_TLV bad-tlv-area",
    "ih_flags": "E_HASH image-hash-mismatch",
    "ih_flags.ROM_FIXED": "E_LOADADDR not-built-for-this-slot",
    "ih_ver.minor": "E_HASH image-hash-mismatch",
    "ih_ver.build_num": "E_HASH image-hash-mismatch",
}


@dataclasses.dataclass(frozen=True)
class Attack:
    """One image the device must refuse, and the reason it must give."""

    name: str
    description: str
    image: bytes = dataclasses.field(repr=False)
    #: ``"<code> <detail>"`` as the device says it (``REFUSED <reason> slot=<S>``).
    reason: str

    @property
    def code(self) -> str:
        return self.reason.split()[0]


def attack_matrix(slot: str = "B", *, key: str | Path | None = None,
                  other_key: str | Path | None = None) -> list[Attack]:
    """Every attack image for ``slot``, built from the demo's v2 (and v5, downgrade) images.

    ``key`` is the key the device trusts (the demo's test key by default),
    ``other_key`` one it does not (the demo's attacker test key). Built once
    per process and arguments (re-signing runs imgtool).
    """
    key = Path(key) if key is not None else signing_key()
    other_key = Path(other_key) if other_key is not None else attacker_key()
    return list(_matrix(slot, key, other_key, current_board()))


@functools.lru_cache(maxsize=8)
def _matrix(slot: str, key: Path, other_key: Path, board: Board) -> tuple[Attack, ...]:
    good = demo_image("v2", slot=slot, board=board).read_bytes()
    donor = demo_image("v5-noconfirm", slot=slot, board=board).read_bytes()     # validly signed, another digest
    downgrade = demo_image("downgrade", slot=slot, board=board).read_bytes()    # validly signed, SEC_CNT 0
    info = read_image(good)
    sig = next(t.value for t in info.tlvs if t.type == TLV_ED25519)
    foreign = tamper.sign(good, key=other_key, slot_size=board.slot_size)
    sec_cnt = next(t for t in info.tlvs if t.protected and t.type == TLV_SEC_CNT)
    prot_start = info.protected_tlv_range.start

    attacks = [
        Attack("unsigned", "the key hash and signature TLVs removed",
               tamper.remove_tlv(tamper.remove_tlv(good, TLV_ED25519), TLV_KEYHASH), "E_SIG no-signature"),
        Attack("no-key-hash", "the signature kept, the key hash TLV removed",
               tamper.remove_tlv(good, TLV_KEYHASH), "E_KEY no-key-hash"),
        Attack("other-key", "signed by a key the device does not trust", foreign, "E_KEY key-hash-mismatch"),
        Attack("signature-of-another-image", "the key hash and valid signature of another image (v5)",
               tamper.transplant_signature(good, donor), "E_SIG bad-signature"),
        Attack("right-key-hash-wrong-signature", "the trusted key's hash over another key's signature",
               tamper.set_tlv(foreign, TLV_KEYHASH, key_hash(public_key(key))), "E_SIG bad-signature"),
        Attack("signature-truncated", "the signature TLV one byte short",
               tamper.set_tlv(good, TLV_ED25519, sig[:-1]), "E_SIG signature-length"),
        Attack("signature-extended", "the signature TLV one byte longer",
               tamper.set_tlv(good, TLV_ED25519, sig + b"\0"), "E_SIG signature-length"),
        Attack("second-signature", "a second signature TLV after the first",
               tamper.add_tlv(good, TLV_ED25519, sig), "E_SIG two-signatures"),
        Attack("payload-flip", "one bit of the payload flipped",
               tamper.flip_byte(good, "payload", 0x100), "E_HASH image-hash-mismatch"),
        Attack("protected-tlv-flip", "one bit of the protected SEC_CNT value flipped",
               tamper.flip_byte(good, "protected_tlv", sec_cnt.value_offset - prot_start),
               "E_HASH image-hash-mismatch"),
        Attack("protected-tlv-info-flip", "one bit of the protected TLV area's magic flipped",
               tamper.flip_byte(good, "protected_tlv", 0), "E_TLV bad-tlv-area"),
        Attack("downgrade", "validly signed, security counter 0 (below the floor)", downgrade,
               "E_ROLLBACK sec-cnt-below-floor"),
        Attack("smuggled-sec-cnt", "the downgrade with a SEC_CNT of 99 added to the unprotected area",
               tamper.add_tlv(downgrade, TLV_SEC_CNT, struct.pack("<I", 99)), "E_ROLLBACK sec-cnt-below-floor"),
    ]
    for field, (offset, mask) in _HEADER_FIELDS.items():
        attacks.append(Attack(f"header-{field}", f"one bit of {field} flipped",
                              tamper.flip_byte(good, "header", offset, mask), _HEADER_REASONS[field]))
    return tuple(attacks)


def write_into_slot(target, image: bytes, slot: str = "B") -> None:
    """Bypass the update protocol: write ``image`` into ``slot`` and append a PENDING record naming it.

    What an attacker with flash access (or a broken updater) does: the next
    boot must validate the slot itself. The record carries the image's own
    version, counter and digest (as far as its header can be read), so the
    only thing standing between it and a jump is the bootloader's check.
    """
    import hashlib

    from .image_check import digest_prefix
    from .journal import SlotRecord, encode_record, read_journal

    major, minor, rev = struct.unpack_from("<BBH", image, 20)
    try:
        info = read_image(image)
        sec, digest = info.security_counter or 0, digest_prefix(info.computed_sha256)
    except Exception:  # a header the reader cannot parse: the bootloader refuses it before the digest matters
        sec, digest = 0, digest_prefix(hashlib.sha256(image).digest())
    target.write_memory(target.description.region(f"slot_{slot.lower()}").start, image)
    journal = read_journal(target)
    latest = journal.latest
    if latest is None:
        raise ValueError("the device has no journal record yet: boot it once first")
    sector, index, needs_erase = journal.next_position()
    if needs_erase:
        raise ValueError("the journal sector is full: the next record needs an erase; reboot the device first")
    other = next(s for s in latest.slots if s != slot)
    record = encode_record(
        seq=latest.seq + 1, preferred=slot, reason="UPDATE", floor=latest.floor,
        slots={other: latest.slots[other],
               slot: SlotRecord("PENDING", 3, sec, f"{major}.{minor}.{rev}", digest)},
    )
    journal_start = target.description.region("journal").start
    target.write_memory(journal_start + sector * journal.sector_size + index * len(record), record)
