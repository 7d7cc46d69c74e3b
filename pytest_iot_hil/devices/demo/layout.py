"""The demo target's memory map, written once (``firmware_fixtures/src/core/layout.h``).

QEMU's mps2-an385 has no flash: the demo uses the first 1 MiB of SSRAM1 as
emulated flash (4 KiB sectors, 8-byte program units, erased 0xFF).
Everything else of the profile (the built-in target, the image check, the
journal decoder, the images catalogue) takes its addresses from here.
"""

from __future__ import annotations

from pathlib import Path

from ...protocols.target import MemoryRegion, TargetDescription

FLASH = MemoryRegion("flash", 0x00000, 0x100000)
SECTOR_SIZE = 0x1000
UNIT_SIZE = 8
ERASED_BYTE = 0xFF

BOOTLOADER = MemoryRegion("bootloader", 0x00000, 0xC000)
JOURNAL = MemoryRegion("journal", 0x0C000, 0x2000)
RESERVED = MemoryRegion("reserved", 0x0E000, 0x2000)
SLOT_A = MemoryRegion("slot_a", 0x10000, 0x78000)
SLOT_B = MemoryRegion("slot_b", 0x88000, 0x78000)
REGIONS = (BOOTLOADER, JOURNAL, RESERVED, SLOT_A, SLOT_B)

#: Slot letter -> flash address, and the size every slot has.
SLOT_BASES = {"A": SLOT_A.start, "B": SLOT_B.start}
SLOT_REGIONS = {"A": SLOT_A.name, "B": SLOT_B.name}
SLOT_SIZE = SLOT_A.size
#: The MCUboot header imgtool pads in front of each app (its vector table follows).
HEADER_SIZE = 0x200

#: The SRAM the apps link their stack into (an image check tests the initial SP against it).
RAM = MemoryRegion("ram", 0x20000000, 0x40000, nonvolatile=False)

#: The name of the built-in target that runs the demo firmware.
TARGET_NAME = "qemu-mps2-an385"
PROFILE = "demo"


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
