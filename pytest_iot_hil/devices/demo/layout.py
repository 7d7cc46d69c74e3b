"""The demo firmware's memory map on each board it is built for, written once
(``firmware_fixtures/src/core/layout.h`` and ``src/hw/stm32f4/layout.h``).

- **mps2** (the default): QEMU's mps2-an385 has no flash, so the demo uses
  the first 1 MiB of SSRAM1 as emulated flash (4 KiB sectors, 8-byte program
  units, erased 0xFF). Its images are ``firmware_fixtures/build/*``.
- **stm32f4**: an STM32F405/407's 1 MiB of flash at 0x08000000 (sectors of
  16, 64 and 128 KiB), as Renode's stm32f4 and a real board have it. Its
  images are ``firmware_fixtures/build/stm32f4/*``.

Everything else of the profile (the built-in targets, the image check, the
journal decoder, the images catalogue) takes its addresses from here. The
module-level names are the default board's.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ...protocols.target import MemoryRegion, TargetDescription


@dataclasses.dataclass(frozen=True)
class Board:
    """One board the demo firmware is built for: its flash map and where its images are."""

    name: str
    flash: MemoryRegion
    bootloader: MemoryRegion
    journal: MemoryRegion
    reserved: MemoryRegion
    slot_a: MemoryRegion
    slot_b: MemoryRegion
    ram: MemoryRegion
    #: Erase granularity inside the slots, and of each of the two journal sectors.
    slot_sector_size: int
    journal_sector_size: int
    #: Where its images are, under the firmware folder ("" for the default board).
    subdir: str = ""
    unit_size: int = 8
    erased_byte: int = 0xFF

    @property
    def regions(self) -> tuple[MemoryRegion, ...]:
        return (self.bootloader, self.journal, self.reserved, self.slot_a, self.slot_b)

    @property
    def slot_bases(self) -> dict[str, int]:
        """Slot letter -> flash address."""
        return {"A": self.slot_a.start, "B": self.slot_b.start}

    @property
    def slot_size(self) -> int:
        return self.slot_a.size

    def firmware_dir(self) -> Path:
        return firmware_dir() / self.subdir if self.subdir else firmware_dir()


def _regions(flash, boot, journal, reserved, slot_a, slot_b, slot_size):
    return dict(flash=MemoryRegion("flash", flash, 0x100000),
                bootloader=MemoryRegion("bootloader", flash, boot),
                journal=MemoryRegion("journal", flash + journal[0], journal[1]),
                reserved=MemoryRegion("reserved", flash + reserved[0], reserved[1]),
                slot_a=MemoryRegion("slot_a", flash + slot_a, slot_size),
                slot_b=MemoryRegion("slot_b", flash + slot_b, slot_size))


MPS2 = Board(name="mps2", **_regions(0x0, 0xC000, (0xC000, 0x2000), (0xE000, 0x2000), 0x10000, 0x88000, 0x78000),
             ram=MemoryRegion("ram", 0x20000000, 0x40000, nonvolatile=False),
             slot_sector_size=0x1000, journal_sector_size=0x1000)
#: Sectors 0-1 bootloader, 2-3 journal, 4 reserved, 5 spare (Renode's flash
#: controller model gets sectors 4 and 5's sizes wrong), 6-8 slot A, 9-11 slot B.
STM32F4 = Board(name="stm32f4",
                **_regions(0x08000000, 0x8000, (0x8000, 0x8000), (0x10000, 0x10000), 0x40000, 0xA0000, 0x60000),
                ram=MemoryRegion("ram", 0x20000000, 0x20000, nonvolatile=False),
                slot_sector_size=0x20000, journal_sector_size=0x4000, subdir="stm32f4")
BOARDS = (MPS2, STM32F4)

FLASH = MPS2.flash
SECTOR_SIZE = MPS2.slot_sector_size
UNIT_SIZE = MPS2.unit_size
ERASED_BYTE = MPS2.erased_byte

BOOTLOADER = MPS2.bootloader
JOURNAL = MPS2.journal
RESERVED = MPS2.reserved
SLOT_A = MPS2.slot_a
SLOT_B = MPS2.slot_b
REGIONS = MPS2.regions

#: Slot letter -> flash address, and the size every slot has.
SLOT_BASES = MPS2.slot_bases
SLOT_REGIONS = {"A": SLOT_A.name, "B": SLOT_B.name}
SLOT_SIZE = MPS2.slot_size
#: The MCUboot header imgtool pads in front of each app (its vector table follows).
HEADER_SIZE = 0x200

#: The SRAM the apps link their stack into (an image check tests the initial SP against it).
RAM = MPS2.ram

#: The names of the built-in targets that run the demo firmware.
TARGET_NAME = "qemu-mps2-an385"
RENODE_TARGET_NAME = "renode-stm32f4"
PROFILE = "demo"

#: The board of the run's target; a plain module value (not a context variable)
#: so that the threads a fleet rehearsal drives see it too.
_current = [MPS2]


def board_of(description: TargetDescription) -> Board:
    """The board a target's firmware was built for, told by where its flash starts."""
    start = description.flash.start if description.flash is not None else 0
    return next((b for b in BOARDS if b.flash.start == start), MPS2)


def board_of_slot(slot_base: int) -> Board:
    """The board whose slot A or B starts at ``slot_base`` (the default board if none does)."""
    return next((b for b in BOARDS if slot_base in b.slot_bases.values()), MPS2)


def current_board() -> Board:
    """The board of the run's target (set when a ``--hil`` run starts), else the default."""
    return _current[0]


def use_board(board: Board) -> None:
    """Make ``board`` the one :func:`demo_image` and :func:`current_board` answer for."""
    _current[0] = board


def firmware_dir() -> Path:
    """Where the bundled demo firmware lives (installed package or source tree)."""
    installed = Path(__file__).parent / "firmware"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parents[3] / "firmware_fixtures" / "build"


def signing_key() -> Path:
    """The demo's published *test* signing key (Ed25519 PEM): every bundled image is signed with it."""
    return firmware_dir() / "keys" / "demo-test-ed25519.pem"


def attacker_key() -> Path:
    """A test key the demo device does not trust (the attack tests' "other key")."""
    return firmware_dir() / "keys" / "attacker-test-ed25519.pem"


def builtin_target() -> TargetDescription:
    """The default target: QEMU mps2-an385 booting the factory image (bootloader + app v1 in slot A)."""
    return TargetDescription(
        name=TARGET_NAME,
        backend="qemu",
        firmware=firmware_dir() / "factory-v1.bin",
        flash=FLASH,
        regions=REGIONS,
        erased_byte=ERASED_BYTE,
        options={"machine": "mps2-an385"},
        source="<built-in>",
        device=PROFILE,
    )


def renode_platform() -> Path:
    """The demo board's Renode platform (``renode/demo-stm32f4.repl``, installed or in the source tree)."""
    installed = Path(__file__).parent / "renode" / "demo-stm32f4.repl"
    if installed.is_file():
        return installed
    return Path(__file__).resolve().parents[3] / "renode" / "demo-stm32f4.repl"


def renode_builtin_target() -> TargetDescription:
    """The demo on an emulated STM32F4 in Renode: the same suites with ``--hil-target renode-stm32f4``."""
    return TargetDescription(
        name=RENODE_TARGET_NAME,
        backend="renode",
        firmware=STM32F4.firmware_dir() / "factory-v1.bin",
        flash=STM32F4.flash,
        regions=STM32F4.regions,
        load_address=STM32F4.flash.start,
        erased_byte=STM32F4.erased_byte,
        options={"platform": str(renode_platform()), "uart": "sysbus.usart2", "flash_peripheral": "sysbus.flash",
                 "vector_table": STM32F4.flash.start,
                 # RAM cleared at every power-on (the whole SRAM Renode maps).
                 "ram": {"start": 0x20000000, "size": 0x40000},
                 # The demo's driver ends every flash operation with FLASH_CR = LOCK; the .repl maps the
                 # watch's control word at 0x90000000.
                 "flash_watch": {"register": 0x40023C10, "done_mask": 0x80000000, "control": 0x90000000}},
        source="<built-in>",
        device=PROFILE,
    )
