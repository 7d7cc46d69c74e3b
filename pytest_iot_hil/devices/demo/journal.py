"""Decoding the demo bootloader's boot-state journal from flash.

Format, as ``firmware_fixtures/src/core/journal.c`` writes it: two 4 KiB
sectors (0x0C000 and 0x0D000 on the demo target), each holding 64 records of
64 bytes, all little-endian; bytes not listed stay erased (0xFF)::

     0 u32 magic 0x4C4E524A ("JRNL")   4 u32 seq (0xFFFFFFFF = erased)
     8 u8  preferred slot (0 A, 1 B)    9 u8  reason (enum jreason)
    12 u32 floor
    16 slot A: u8 state, u8 tries, 2 pad, u32 sec_cnt, u32 version, u32 digest
    32 slot B: same
    48 u32 boot_count
    60 u32 CRC-32 (zlib's) over bytes 0..59

``version`` is ``major<<24 | minor<<16 | revision``; ``digest`` is the first 4
bytes of the image's SHA-256 read big-endian.  The record is written as eight
8-byte units in order and the CRC unit last, so a torn record has a bad CRC.

A record is *valid* exactly when ``jrec_decode()`` accepts it: magic and CRC,
a state and reason the firmware knows, a preferred slot of 0 or 1, and a seq
that is not the erased value.  The latest record is the valid one with the
highest seq; on equal seqs the first found wins (sector 0 before sector 1,
lower index first), as in ``journal_load()``.
"""

from __future__ import annotations

import dataclasses
import struct
import zlib
from typing import TYPE_CHECKING, Iterable, Sequence

from ...errors import HilConfigError, HilError
from .layout import BOARDS, MPS2

if TYPE_CHECKING:  # pragma: no cover
    from ...protocols.target import Target

RECORD_SIZE = 64
RECORD_MAGIC = 0x4C4E524A
#: The journal sector of the default board (mps2); the STM32F4 build's are 16 KiB.
SECTOR_SIZE = MPS2.journal_sector_size
#: Every board's journal sector size: a region of two of them decodes.
SECTOR_SIZES = tuple(sorted({board.journal_sector_size for board in BOARDS}))
NUM_SECTORS = 2
RECORDS_PER_SECTOR = SECTOR_SIZE // RECORD_SIZE
SEQ_ERASED = 0xFFFFFFFF
ERASED_BYTE = 0xFF
UNIT_SIZE = 8
TRIES_DEFAULT = 3

STATES = ("EMPTY", "PENDING", "CONFIRMED", "BAD")
REASONS = ("NONE", "TRIES_EXHAUSTED", "INVALID", "MARK_BAD", "UPDATE", "CONFIRM")
SLOT_NAMES = ("A", "B")

_CRC_OFFSET = 60
_SLOT_OFFSETS = (16, 32)
_HEAD = struct.Struct("<IIBBxxI")  # magic, seq, preferred, reason, floor
_SLOT = struct.Struct("<BBxxIII")  # state, tries, sec_cnt, version, digest


class JournalError(HilError):
    """The journal region could not be read or has the wrong size."""


def version_str(version: int) -> str:
    return f"{version >> 24}.{(version >> 16) & 0xFF}.{version & 0xFFFF}"


def version_int(version: str) -> int:
    major, minor, revision = (int(x) for x in version.split("+")[0].split("."))
    return major << 24 | minor << 16 | revision


def _name(names: Sequence[str], code: int) -> str:
    return names[code] if code < len(names) else f"UNKNOWN({code})"


@dataclasses.dataclass(frozen=True)
class SlotRecord:
    """One slot's entry in a journal record."""

    state: str  # EMPTY, PENDING, CONFIRMED, BAD (UNKNOWN(n) in a corrupt record)
    tries: int
    sec_cnt: int
    version: str  # "X.Y.Z"
    digest: int  # first 4 bytes of the image SHA-256, big-endian

    @property
    def digest_bytes(self) -> bytes:
        return self.digest.to_bytes(4, "big")

    def matches(self, sha256: bytes) -> bool:
        """Whether this entry names the image with that SHA-256 (by its first 4 bytes)."""
        return sha256[:4] == self.digest_bytes


@dataclasses.dataclass(frozen=True)
class JournalRecord:
    """One non-erased 64-byte record, valid or not (``problem`` says why not)."""

    sector: int
    index: int
    valid: bool
    problem: str | None  # None when valid
    magic: int
    seq: int
    preferred: str  # "A" or "B" (UNKNOWN(n) in a corrupt record)
    preferred_index: int  # as stored: 0 (A) or 1 (B)
    reason: str
    floor: int
    slots: dict[str, SlotRecord]  # keys "A" and "B", like InfoLine.slots
    boot_count: int
    crc: int
    raw: bytes
    #: Bytes per journal sector on the record's board.
    sector_size: int = SECTOR_SIZE

    @property
    def offset(self) -> int:
        """Offset of the record from the start of the journal region."""
        return self.sector * self.sector_size + self.index * RECORD_SIZE

    def slot(self, name: str | int) -> SlotRecord:
        """The entry of slot ``"A"``/``"B"`` (or its index 0/1)."""
        return self.slots[SLOT_NAMES[name] if isinstance(name, int) else name]


def decode_record(raw: bytes, *, sector: int = 0, index: int = 0, sector_size: int = SECTOR_SIZE) -> JournalRecord:
    """Decode one 64-byte record, judging it as ``jrec_decode()`` does."""
    if len(raw) != RECORD_SIZE:
        raise ValueError(f"a journal record is {RECORD_SIZE} bytes, not {len(raw)}")
    raw = bytes(raw)
    magic, seq, preferred, reason, floor = _HEAD.unpack_from(raw, 0)
    slot_fields = [_SLOT.unpack_from(raw, off) for off in _SLOT_OFFSETS]
    (boot_count,) = struct.unpack_from("<I", raw, 48)
    (crc,) = struct.unpack_from("<I", raw, _CRC_OFFSET)

    problem = None
    if magic != RECORD_MAGIC:
        problem = f"bad magic {magic:#010x}"
    elif crc != zlib.crc32(raw[:_CRC_OFFSET]):
        problem = "bad CRC (torn or corrupted record)"
    elif any(state >= len(STATES) for state, *_ in slot_fields):
        problem = "unknown slot state"
    elif seq == SEQ_ERASED:
        problem = "erased seq"
    elif preferred >= len(SLOT_NAMES):
        problem = f"preferred slot {preferred} out of range"
    elif reason >= len(REASONS):
        problem = f"unknown reason {reason}"

    slots = {
        name: SlotRecord(_name(STATES, state), tries, sec_cnt, version_str(version), digest)
        for name, (state, tries, sec_cnt, version, digest) in zip(SLOT_NAMES, slot_fields)
    }
    return JournalRecord(
        sector=sector,
        index=index,
        valid=problem is None,
        problem=problem,
        magic=magic,
        seq=seq,
        preferred=_name(SLOT_NAMES, preferred),
        preferred_index=preferred,
        reason=_name(REASONS, reason),
        floor=floor,
        slots=slots,
        boot_count=boot_count,
        crc=crc,
        raw=raw,
        sector_size=sector_size,
    )


def _erased(chunk: bytes) -> bool:
    return chunk.count(ERASED_BYTE) == len(chunk)


def decode_records(sector_bytes: bytes, sector: int) -> list[JournalRecord]:
    """Every non-erased record of one sector, in flash order, valid or not.

    A record with a single programmed byte is listed: the firmware counts it
    as used and never writes that slot again until the sector is erased.
    """
    if len(sector_bytes) not in SECTOR_SIZES:
        sizes = " or ".join(f"{s:#x}" for s in SECTOR_SIZES)
        raise ValueError(f"a journal sector is {sizes} bytes, not {len(sector_bytes):#x}")
    records = []
    for index in range(len(sector_bytes) // RECORD_SIZE):
        chunk = sector_bytes[index * RECORD_SIZE : (index + 1) * RECORD_SIZE]
        if not _erased(chunk):
            records.append(decode_record(chunk, sector=sector, index=index, sector_size=len(sector_bytes)))
    return records


@dataclasses.dataclass(frozen=True)
class Journal:
    """Both sectors of the journal, decoded."""

    records: tuple[JournalRecord, ...]
    #: Bytes per journal sector (4 KiB on mps2, 16 KiB on the STM32F4).
    sector_size: int = SECTOR_SIZE

    @property
    def records_per_sector(self) -> int:
        return self.sector_size // RECORD_SIZE

    @classmethod
    def from_bytes(cls, journal_region: bytes) -> "Journal":
        """Decode the whole journal region: two sectors, of the size its board has."""
        sector_size = len(journal_region) // NUM_SECTORS
        if len(journal_region) % NUM_SECTORS or sector_size not in SECTOR_SIZES:
            sizes = " or ".join(f"{s:#x} bytes ({NUM_SECTORS * s:#x})" for s in SECTOR_SIZES)
            raise JournalError(
                f"the journal region must be {NUM_SECTORS} sectors of {sizes}, got {len(journal_region):#x} bytes"
            )
        records: list[JournalRecord] = []
        for sector in range(NUM_SECTORS):
            records += decode_records(journal_region[sector * sector_size : (sector + 1) * sector_size], sector)
        return cls(tuple(records), sector_size)

    @property
    def valid_records(self) -> list[JournalRecord]:
        return [r for r in self.records if r.valid]

    @property
    def latest(self) -> JournalRecord | None:
        """The valid record with the highest seq, or None (factory state)."""
        best = None
        for record in self.valid_records:  # flash order, so ties keep the first
            if best is None or record.seq > best.seq:
                best = record
        return best

    @property
    def factory(self) -> bool:
        """No valid record: the bootloader will boot the first valid slot as CONFIRMED."""
        return self.latest is None

    def last_used(self, sector: int) -> int:
        """Highest index in ``sector`` that is not erased, -1 if none."""
        return max((r.index for r in self.records if r.sector == sector), default=-1)

    def next_position(self) -> tuple[int, int, bool]:
        """Where ``journal_append()`` writes next: (sector, index, erases the sector first)."""
        latest = self.latest
        if latest is not None:
            index = self.last_used(latest.sector) + 1
            if index < self.records_per_sector:
                return latest.sector, index, False
            return 1 - latest.sector, 0, True
        for sector in range(NUM_SECTORS):
            index = self.last_used(sector) + 1
            if index < self.records_per_sector:
                return sector, index, False
        return 0, 0, True


def read_journal(target: "Target") -> Journal:
    """Read and decode the journal of a live target (its ``journal`` region)."""
    try:
        region = target.description.region("journal")
    except KeyError as exc:
        raise HilConfigError(
            f"{exc.args[0]}: add `journal = {{ start = 0xC000, size = 0x2000 }}` to "
            f"[targets.{target.name}.regions] in the inventory"
        ) from None
    data = target.read_memory(region.start, region.size)
    try:
        return Journal.from_bytes(data)
    except JournalError as exc:
        raise JournalError(f"target {target.name!r}, region journal at {region.start:#x}: {exc}") from None


# -- fixtures for tests -------------------------------------------------------

def _slot_fields(slot: object) -> tuple[int, int, int, int, int]:
    if isinstance(slot, SlotRecord):
        state, tries, sec_cnt, version, digest = slot.state, slot.tries, slot.sec_cnt, slot.version, slot.digest
    else:
        state, tries, sec_cnt, version, digest = slot  # type: ignore[misc]
    state_code = STATES.index(state) if isinstance(state, str) else state
    version_code = version_int(version) if isinstance(version, str) else version
    return state_code, tries, sec_cnt, version_code, digest


EMPTY_SLOT = SlotRecord("EMPTY", 0, 0, "0.0.0", 0)


def encode_record(
    *,
    seq: int,
    preferred: int | str = 0,
    reason: int | str = "NONE",
    floor: int = 0,
    slots: Iterable[object] | dict[str, object] = (EMPTY_SLOT, EMPTY_SLOT),
    boot_count: int = 0,
    magic: int = RECORD_MAGIC,
    crc: int | None = None,
) -> bytes:
    """Bytes of one record exactly as ``jrec_encode()`` writes them. For building test fixtures.

    ``slots`` holds two :class:`SlotRecord` or ``(state, tries, sec_cnt,
    version, digest)`` tuples (names or codes), in slot order or as a dict
    ``{"A": ..., "B": ...}``.  ``crc=None`` computes the right
    CRC; pass a number to make a bad one.
    """
    out = bytearray([ERASED_BYTE]) * RECORD_SIZE
    pref = SLOT_NAMES.index(preferred) if isinstance(preferred, str) else preferred
    why = REASONS.index(reason) if isinstance(reason, str) else reason
    struct.pack_into("<IIBB", out, 0, magic, seq, pref, why)
    struct.pack_into("<I", out, 12, floor)
    pair = [slots[name] for name in SLOT_NAMES] if isinstance(slots, dict) else list(slots)
    if len(pair) != 2:
        raise ValueError(f"a record holds 2 slots, not {len(pair)}")
    for off, slot in zip(_SLOT_OFFSETS, pair):
        state, tries, sec_cnt, version, digest = _slot_fields(slot)
        struct.pack_into("<BB", out, off, state, tries)
        struct.pack_into("<III", out, off + 4, sec_cnt, version, digest)
    struct.pack_into("<I", out, 48, boot_count)
    struct.pack_into("<I", out, _CRC_OFFSET, zlib.crc32(out[:_CRC_OFFSET]) if crc is None else crc)
    return bytes(out)


def tear(record: bytes, units: int, *, partial: bytes = b"") -> bytes:
    """A record cut after ``units`` whole 8-byte units were programmed (the rest erased).

    ``partial`` replaces the start of the next unit, for a cut in the middle
    of a program operation (e.g. ``b"\\x00\\x12"``).
    """
    if not 0 <= units <= RECORD_SIZE // UNIT_SIZE:
        raise ValueError(f"units must be 0..{RECORD_SIZE // UNIT_SIZE}")
    keep = units * UNIT_SIZE
    out = bytearray(record[:keep]) + bytearray([ERASED_BYTE]) * (RECORD_SIZE - keep)
    out[keep : keep + len(partial)] = partial
    return bytes(out[:RECORD_SIZE])


def build_region(records: dict[tuple[int, int], bytes], sector_size: int = SECTOR_SIZE) -> bytes:
    """A journal region (both sectors erased) with ``records[(sector, index)]`` placed."""
    region = bytearray([ERASED_BYTE]) * (NUM_SECTORS * sector_size)
    for (sector, index), raw in records.items():
        if len(raw) != RECORD_SIZE:
            raise ValueError(f"record at ({sector}, {index}) is {len(raw)} bytes, not {RECORD_SIZE}")
        start = sector * sector_size + index * RECORD_SIZE
        region[start : start + RECORD_SIZE] = raw
    return bytes(region)
