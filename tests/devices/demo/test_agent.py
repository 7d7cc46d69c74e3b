"""The demo profile's health agent without an emulator: metrics, fault reports symbolized, board identity."""

from __future__ import annotations

import struct

import pytest
from elftools.elf.elffile import ELFFile

from pytest_iot_hil.devices.demo.agent import DemoAgent, elf_of, identity_record
from pytest_iot_hil.devices.demo.images import demo_image
from pytest_iot_hil.devices.demo.layout import RESERVED, firmware_dir
from pytest_iot_hil.errors import HilError
from pytest_iot_hil.firmware import FirmwareImage


def _symbol(elf_path, name: str) -> int:
    with open(elf_path, "rb") as fh:
        symtab = ELFFile(fh).get_section_by_name(".symtab")
        return next(s["st_value"] for s in symtab.iter_symbols() if s.name == name) & ~1


def test_a_fault_report_is_symbolized_from_the_image_elf():
    image = demo_image("v6-revb", slot="B")
    elf = elf_of(image)
    assert elf is not None and elf.name == "app-v6-revb-slotB.elf"
    pc = _symbol(elf, "sensor_init_rev")
    lr = _symbol(elf, "main") + 0x10
    transcript = f"app v6.0.0 slot=B\r\n\r\nFAULT HardFault pc=0x{pc:08x} lr=0x{lr | 1:08x}\r\nBOOT slot=B ...\r\n"
    (fault,) = DemoAgent(console=None).faults(transcript, image)
    assert (fault.kind, fault.pc, fault.lr) == ("HardFault", pc, lr | 1)
    assert fault.pc_at.startswith("sensor_init_rev") and "main.c:" in fault.pc_at
    assert fault.lr_at.startswith("main+0x10")
    assert str(fault).startswith(f"HardFault at pc=0x{pc:08x} in sensor_init_rev")
    assert DemoAgent(console=None).faults(transcript)[0].pc_at == ""   # no image: unsymbolized, still reported


def test_the_board_identity_goes_into_the_factory_image():
    factory = FirmwareImage.load(firmware_dir() / "factory-v1.bin")
    personal = DemoAgent(console=None).personalize(factory, {"hw_rev": "B", "region": "eu"})
    extra = [s for s in personal.segments if s not in factory.segments]
    assert [(s.address, s.data) for s in extra] == [(RESERVED.start, struct.pack("<II", 0x44495748, ord("B")))]
    assert DemoAgent(console=None).personalize(factory, {"region": "eu"}) is factory
    with pytest.raises(HilError, match="takes one letter A-Z"):
        identity_record("rev-b")
