"""Synthetic flash-write traces for the campaign's unit tests (no emulator).

:class:`SimFlash` stores words the way the demo firmware's flash layer does
(``firmware_fixtures/src/hw/flash_hw.c``: a program is word stores over an
8-byte unit, an erase is a word store of 0xFFFFFFFF to every word of a 4 KiB
sector) and records each store as the QEMU flash watch would: the changed
word-aligned span, or ``size == 0`` at the sector's start for a store that
changed nothing.
"""

from __future__ import annotations

from pytest_iot_hil.protocols.flash import FlashWrite
from pytest_iot_hil.protocols.target import MemoryRegion

SECTOR = 0x1000
REGIONS = (
    MemoryRegion("boot", 0x0000, 0x1000),
    MemoryRegion("journal", 0x1000, 0x2000),
    MemoryRegion("slot_a", 0x3000, 0x2000),
    MemoryRegion("slot_b", 0x5000, 0x3000),
)
SIZE = 0x8000


class SimFlash:
    def __init__(self, size: int = SIZE, regions=REGIONS) -> None:
        self.data = bytearray(b"\xff" * size)
        self.regions = regions
        self.writes: list[FlashWrite] = []

    def region(self, address: int) -> str:
        return next(r.name for r in self.regions if address in r)

    def store(self, address: int, word: bytes) -> None:
        before = bytes(self.data[address : address + 4])
        self.data[address : address + 4] = word
        sector = address - address % SECTOR
        if before == word:
            self.writes.append(FlashWrite(len(self.writes), sector, b"", b"", self.region(address)))
        else:
            self.writes.append(FlashWrite(len(self.writes), address, before, bytes(word), self.region(address)))

    def program(self, address: int, data: bytes) -> None:
        assert address % 8 == 0 and len(data) % 8 == 0
        for off in range(0, len(data), 4):
            self.store(address + off, data[off : off + 4])

    def erase(self, sector: int) -> None:
        for off in range(0, SECTOR, 4):
            self.store(sector + off, b"\xff\xff\xff\xff")

    @property
    def image(self) -> bytes:
        return bytes(self.data)


def replay(initial: bytes, writes, count: int) -> bytes:
    """The flash after the first ``count`` stores (brute force, for checking)."""
    data = bytearray(initial)
    for w in writes[:count]:
        if w.size:
            data[w.address : w.address + w.size] = w.new
    return bytes(data)


def sample_update() -> tuple[bytes, list[FlashWrite], SimFlash]:
    """A small update: a record, an erase of a dirty sector, data with padding, a record."""
    sim = SimFlash()
    sim.program(0x3000, bytes(range(64)))  # slot A holds something
    sim.program(0x5000, b"\x11" * 16)  # slot B holds an old image
    initial = sim.image
    sim.writes.clear()
    sim.program(0x1000, b"REC1" + b"\x00" * 4 + b"\x01" * 8)  # 2 units
    sim.erase(0x5000)  # dirty: 4 stores change, 1020 no-ops
    sim.erase(0x6000)  # clean: all no-ops
    sim.program(0x5000, b"\x22" * 8 + b"\xff" * 8 + b"\x33\xff\xff\xff\xff\xff\xff\xff")
    sim.program(0x6000, b"\x44" * 16)
    sim.program(0x1010, b"REC2" + b"\xff" * 4 + b"\x02" * 8)
    return initial, list(sim.writes), sim
