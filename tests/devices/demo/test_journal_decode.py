"""The journal decoder against records encoded in Python and by the firmware's
own journal.c (built for the host), and against the factory flash image."""

from __future__ import annotations

import random
import subprocess
import zlib
from pathlib import Path

import pytest

from pytest_iot_hil.devices.demo.journal import (
    Journal, JournalError, SlotRecord, decode_record, decode_records, encode_record, read_journal,
)
from pytest_iot_hil.devices.demo.journal import (
    EMPTY_SLOT, RECORD_SIZE, RECORDS_PER_SECTOR, SECTOR_SIZE, build_region, tear, version_int,
)
from pytest_iot_hil.errors import HilConfigError, HilError
from pytest_iot_hil.protocols.target import MemoryRegion, TargetDescription

FACTORY = Path(__file__).resolve().parents[3] / "firmware_fixtures" / "build" / "factory-v1.bin"
V1 = SlotRecord("CONFIRMED", 3, 1, "1.0.0", 0x346FFAB7)
V2 = SlotRecord("PENDING", 2, 2, "2.0.0", 0xA370705A)


def rec(seq: int, **kw) -> bytes:
    kw.setdefault("slots", (V1, EMPTY_SLOT))
    return encode_record(seq=seq, **kw)


def test_round_trip():
    raw = encode_record(seq=5, preferred="B", reason="CONFIRM", floor=2, slots=(V1, V2), boot_count=9)
    assert len(raw) == RECORD_SIZE and raw[:4] == b"JRNL"
    r = decode_record(raw, sector=1, index=3)
    assert r.valid and r.problem is None
    assert (r.seq, r.preferred, r.preferred_index, r.reason, r.floor, r.boot_count) == (5, "B", 1, "CONFIRM", 2, 9)
    assert r.slots == {"A": V1, "B": V2}
    assert r.slot("B") is r.slots["B"] and r.slot(0) == V1
    assert (r.sector, r.index, r.offset) == (1, 3, SECTOR_SIZE + 3 * RECORD_SIZE)
    assert r.crc == zlib.crc32(raw[:60]) and r.raw == raw


def test_layout_as_journal_c_writes_it():
    raw = encode_record(seq=0x01020304, preferred=1, reason=4, floor=0x0A0B0C0D,
                        slots=[("BAD", 7, 0x11, 0x02030004, 0xDEADBEEF), ("PENDING", 1, 2, "3.4.5", 0x01020304)],
                        boot_count=0x55)
    assert raw[0:4] == (0x4C4E524A).to_bytes(4, "little")
    assert raw[4:8] == bytes([4, 3, 2, 1])
    assert raw[8:12] == bytes([1, 4, 0xFF, 0xFF])  # preferred, reason, 2 erased pad bytes
    assert raw[12:16] == bytes([0x0D, 0x0C, 0x0B, 0x0A])
    assert raw[16:20] == bytes([3, 7, 0xFF, 0xFF])
    assert raw[20:32] == bytes([0x11, 0, 0, 0, 4, 0, 3, 2, 0xEF, 0xBE, 0xAD, 0xDE])
    assert raw[32:36] == bytes([1, 1, 0xFF, 0xFF])
    assert raw[40:44] == (version_int("3.4.5")).to_bytes(4, "little") == bytes([5, 0, 4, 3])
    assert raw[48:52] == bytes([0x55, 0, 0, 0]) and raw[52:60] == b"\xff" * 8
    r = decode_record(raw)
    assert r.slots["A"].version == "2.3.4" and r.slots["B"].version == "3.4.5"
    assert r.slots["A"].digest_bytes == bytes.fromhex("deadbeef")


def test_digest_is_the_first_four_bytes_of_the_sha256():
    sha = bytes.fromhex("346ffab7a3f0aebda4735dc90b0d554f0c1099f939da3d43884e3e522afec04f")
    assert V1.matches(sha) and not V2.matches(sha)


def test_factory_image_has_no_journal():
    journal_area = FACTORY.read_bytes()[0xC000:0xE000]
    assert journal_area == b"\xff" * 0x2000
    journal = Journal.from_bytes(journal_area)
    assert journal.records == () and journal.latest is None and journal.factory
    assert journal.next_position() == (0, 0, False)


@pytest.mark.parametrize("damage, problem", [
    (lambda r: r[:60] + bytes([r[60] ^ 1]) + r[61:], "bad CRC"),
    (lambda r: b"JRNX" + r[4:], "bad magic"),
    (lambda r: r[:20] + bytes([r[20] ^ 0x80]) + r[21:], "bad CRC"),
])
def test_damaged_records_are_invalid(damage, problem):
    r = decode_record(damage(rec(3)))
    assert not r.valid and problem in r.problem


@pytest.mark.parametrize("kw, problem", [
    (dict(seq=0xFFFFFFFF), "erased seq"),
    (dict(seq=1, preferred=2), "preferred slot 2"),
    (dict(seq=1, reason=6), "unknown reason 6"),
    (dict(seq=1, slots=[(4, 0, 0, 0, 0), EMPTY_SLOT]), "unknown slot state"),
])
def test_records_journal_c_rejects_despite_a_good_crc(kw, problem):
    r = decode_record(encode_record(**kw))
    assert not r.valid and problem in r.problem
    if "slots" in kw:
        assert r.slots["A"].state == "UNKNOWN(4)"


def test_bad_crc_by_choice():
    assert not decode_record(rec(1, crc=0)).valid


@pytest.mark.parametrize("units", range(8))
def test_torn_records_are_listed_but_never_latest(units):
    good, torn = rec(1), tear(rec(2), units, partial=b"\x00\x12" if units < 7 else b"")
    journal = Journal.from_bytes(build_region({(0, 0): good, (0, 1): torn}))
    assert journal.latest.seq == 1
    assert [(r.index, r.valid) for r in journal.records] == [(0, True), (1, False)]
    # A torn slot counts as used: the next record goes after it.
    assert journal.next_position() == (0, 2, False)


def test_a_record_with_no_unit_written_is_erased():
    journal = Journal.from_bytes(build_region({(0, 0): rec(1), (0, 1): tear(rec(2), 0)}))
    assert len(journal.records) == 1 and journal.next_position() == (0, 1, False)


def test_latest_is_the_highest_valid_seq_across_sectors():
    region = build_region({
        **{(0, i): rec(i + 1) for i in range(RECORDS_PER_SECTOR)},  # sector 0 full: seq 1..64
        (1, 0): rec(65, floor=2),
        (1, 1): rec(66, floor=3),
        (1, 2): rec(67, crc=1),  # torn, newest
    })
    journal = Journal.from_bytes(region)
    latest = journal.latest
    assert (latest.seq, latest.sector, latest.index, latest.floor) == (66, 1, 1, 3)
    assert len(journal.records) == 67 and len(journal.valid_records) == 66
    assert journal.next_position() == (1, 3, False)


def test_older_records_in_the_second_sector():
    # After a wrap: sector 1 holds the older run, sector 0 was erased and restarted.
    region = build_region({(1, 0): rec(10), (1, 1): rec(11), (0, 0): rec(12)})
    latest = Journal.from_bytes(region).latest
    assert (latest.seq, latest.sector, latest.index) == (12, 0, 0)


def test_full_sector_moves_to_the_other_one_with_an_erase():
    region = build_region({(1, i): rec(100 + i) for i in range(RECORDS_PER_SECTOR)} | {(0, 5): rec(7)})
    journal = Journal.from_bytes(region)
    assert journal.latest.seq == 163
    assert journal.next_position() == (0, 0, True)


def test_equal_seqs_keep_the_first_in_flash_order():
    region = build_region({(0, 3): rec(5, floor=1), (1, 0): rec(5, floor=2)})
    assert Journal.from_bytes(region).latest.floor == 1


def test_decode_records_of_one_sector():
    sector = bytearray(b"\xff" * SECTOR_SIZE)
    sector[64:128] = rec(1)
    sector[64 * 9] = 0x00  # one programmed byte makes a slot used
    records = decode_records(bytes(sector), 1)
    assert [(r.sector, r.index, r.valid) for r in records] == [(1, 1, True), (1, 9, False)]
    with pytest.raises(ValueError, match="sector"):
        decode_records(bytes(100), 0)
    with pytest.raises(ValueError, match="64 bytes"):
        decode_record(bytes(63))


def test_region_of_the_wrong_size():
    with pytest.raises(JournalError, match=r"2 sectors of 0x1000 bytes \(0x2000\) or 0x4000 bytes \(0x8000\), "
                                           r"got 0x1000"):
        Journal.from_bytes(b"\xff" * 0x1000)


def test_a_journal_of_sixteen_kib_sectors():
    # The STM32F4 build's journal: two 16 KiB sectors, 256 records each.
    region = build_region({(0, 255): rec(3), (1, 0): rec(4)}, sector_size=0x4000)
    journal = Journal.from_bytes(region)
    assert journal.sector_size == 0x4000 and journal.records_per_sector == 256
    assert [(r.sector, r.index, r.offset) for r in journal.records] == [(0, 255, 255 * 64), (1, 0, 0x4000)]
    assert journal.latest.seq == 4 and journal.next_position() == (1, 1, False)
    assert issubclass(JournalError, HilError)


class FakeTarget:
    """Just what read_journal() uses: description, name and read_memory()."""

    def __init__(self, flash: bytes, regions=(MemoryRegion("journal", 0xC000, 0x2000),)) -> None:
        self.flash = flash
        self.description = TargetDescription(name="bench", backend="fake", firmware=None, regions=regions)
        self.name = "bench"
        self.reads: list[tuple[int, int]] = []

    def read_memory(self, address: int, size: int) -> bytes:
        self.reads.append((address, size))
        return self.flash[address : address + size]


def test_read_journal_from_a_target():
    flash = bytearray(FACTORY.read_bytes())
    flash[0xD000 + 64 : 0xD000 + 128] = rec(4, reason="UPDATE")
    target = FakeTarget(bytes(flash))
    journal = read_journal(target)
    assert target.reads == [(0xC000, 0x2000)]
    assert (journal.latest.seq, journal.latest.sector, journal.latest.index, journal.latest.reason) == (4, 1, 1, "UPDATE")
    assert read_journal(FakeTarget(FACTORY.read_bytes())).factory


def test_read_journal_without_a_journal_region():
    with pytest.raises(HilConfigError, match=r"no region 'journal'.*\[targets\.bench\.regions\]"):
        read_journal(FakeTarget(b"", regions=()))
    with pytest.raises(JournalError, match=r"target 'bench', region journal at 0xc000"):
        read_journal(FakeTarget(b"", regions=(MemoryRegion("journal", 0xC000, 0x1000),)))


def test_the_builtin_demo_target_has_the_journal_region():
    from pytest_iot_hil.devices.demo.layout import builtin_target

    region = builtin_target().region("journal")
    assert (region.start, region.size) == (0xC000, 0x2000)


# -- against journal.c itself ------------------------------------------------------


def c_encode(host_journal: Path, seq, pref, reason, floor, boot_count, slots) -> bytes:
    args = [str(host_journal), "encode", *map(str, (seq, pref, reason, floor, boot_count))]
    for state, tries, sec, ver, digest in slots:
        args += map(str, (state, tries, sec, ver, digest))
    return bytes.fromhex(subprocess.run(args, check=True, capture_output=True, text=True).stdout.strip())


def test_encoder_matches_jrec_encode(host_journal):
    rng = random.Random(7)
    for _ in range(25):
        slots = [(rng.randrange(4), rng.randrange(256), rng.getrandbits(32), rng.getrandbits(32), rng.getrandbits(32))
                 for _ in range(2)]
        fields = (rng.getrandbits(32), rng.randrange(2), rng.randrange(6), rng.getrandbits(32), rng.getrandbits(32))
        seq, pref, reason, floor, boot_count = fields
        ours = encode_record(seq=seq, preferred=pref, reason=reason, floor=floor, boot_count=boot_count, slots=slots)
        assert ours == c_encode(host_journal, *fields, slots)


def c_load(host_journal: Path, tmp_path: Path, region: bytes) -> str:
    path = tmp_path / "journal.bin"
    path.write_bytes(region)
    return subprocess.run([str(host_journal), "load", str(path)], check=True, capture_output=True,
                          text=True).stdout.strip()


def our_load(region: bytes) -> str:
    j = Journal.from_bytes(region)
    latest = j.latest
    head = f"latest={latest.seq} sector={latest.sector} index={latest.index}" if latest else \
        "latest=none sector=-1 index=-1"
    sector, index, erase = j.next_position()
    return f"{head} used={j.last_used(0)},{j.last_used(1)} next={sector},{index},{int(erase)}"


def random_region(rng: random.Random) -> bytes:
    records = {}
    seq = rng.randrange(1, 50)
    for sector in rng.sample([0, 1], 2):
        for index in range(rng.choice([0, 1, 3, RECORDS_PER_SECTOR - 1, RECORDS_PER_SECTOR])):
            seq += rng.choice([1, 1, 1, 0, 5])
            raw = rec(seq, floor=rng.randrange(3))
            kind = rng.random()
            if kind < 0.1:
                raw = tear(raw, rng.randrange(1, 8), partial=bytes([rng.randrange(256)]))
            elif kind < 0.15:
                raw = raw[:60] + bytes(4)  # bad CRC
            elif kind < 0.2:
                raw = encode_record(seq=0xFFFFFFFF)
            records[(sector, index)] = raw
    return build_region(records)


def test_loading_matches_journal_load(host_journal, tmp_path):
    rng = random.Random(2024)
    regions = [
        build_region({}),
        build_region({(0, 0): rec(1)}),
        build_region({(0, 0): tear(rec(1), 3)}),
        build_region({(0, i): tear(rec(i + 1), 4) for i in range(RECORDS_PER_SECTOR)}),
        build_region({(s, i): tear(rec(i + 1), 4) for s in (0, 1) for i in range(RECORDS_PER_SECTOR)}),
        build_region({(0, i): rec(i + 1) for i in range(RECORDS_PER_SECTOR)}),
        build_region({(1, i): rec(i + 1) for i in range(RECORDS_PER_SECTOR)} | {(0, 0): rec(3)}),
        build_region({(0, 3): rec(5, floor=1), (1, 0): rec(5, floor=2)}),
        *(random_region(rng) for _ in range(60)),
    ]
    for region in regions:
        assert our_load(region) == c_load(host_journal, tmp_path, region)
