"""The demo firmware's STM32F4 build (``firmware_fixtures/build/stm32f4/``).

Its flash map is the one the device profile uses, and it runs for real where
QEMU can run it: QEMU's ``netduinoplus2`` is an STM32F405, with USART2 on
its second serial port. QEMU does not model, there, the parts an update
needs, so only the console is tested on it:

* the flash interface (0x40023C00) is an unimplemented stub and flash is a
  ROM: the firmware's programs and erases change nothing;
* the IWDG is a stub: nothing resets a hung app;
* RCC is a stub (reads 0): the reset cause always reads as power-on;
* SysTick counts at the 168 MHz QEMU gives the SoC, not the 16 MHz HSI the
  part starts on, so the app's uptime runs about ten times fast.

The whole update, rollback and power-loss suites need Renode
(``--hil-target renode-stm32f4``), which is not installed here.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pexpect
import pytest

from pytest_iot_hil.devices.demo.layout import MPS2, STM32F4

FIXTURES = Path(__file__).resolve().parents[2] / "firmware_fixtures"
BUILD = FIXTURES / "build" / "stm32f4"


def _defines(header: Path) -> dict[str, int]:
    return {m.group(1): int(m.group(2), 16)
            for m in re.finditer(r"^#define (\w+)\s+(0x[0-9A-Fa-f]+)u", header.read_text(), re.M)}


@pytest.mark.parametrize("board, header", [(MPS2, "src/core/layout.h"), (STM32F4, "src/hw/stm32f4/layout.h")],
                         ids=["mps2", "stm32f4"])
def test_the_profile_has_the_firmwares_flash_map(board, header):
    d = _defines(FIXTURES / header)
    assert (board.flash.start, board.flash.size) == (d["FLASH_BASE"], d["FLASH_SIZE"])
    assert (board.bootloader.start, board.bootloader.size) == (d["BOOTLOADER_BASE"], d["BOOTLOADER_SIZE"])
    assert board.journal.start == d["JOURNAL0_BASE"]
    assert board.journal.size == 2 * d.get("JOURNAL_SECTOR_SIZE", d.get("FLASH_SECTOR_SIZE"))
    assert d["JOURNAL1_BASE"] == d["JOURNAL0_BASE"] + board.journal_sector_size
    assert (board.reserved.start, board.reserved.size) == (d["RESERVED_BASE"], d["RESERVED_SIZE"])
    assert board.slot_bases == {"A": d["SLOT_A_BASE"], "B": d["SLOT_B_BASE"]} and board.slot_size == d["SLOT_SIZE"]
    assert board.slot_sector_size == d.get("SLOT_SECTOR_SIZE", d.get("FLASH_SECTOR_SIZE"))


def test_the_stm32f4_slots_sit_on_whole_sectors_renode_erases_right():
    # RM0090: sectors 0-3 16 KiB, 4 64 KiB, 5-11 128 KiB. Renode's model has 4 and 5 wrong: keep out of them.
    starts = [0x08000000 + o for o in (0, 0x4000, 0x8000, 0xC000, 0x10000)] + \
             [0x08020000 + n * 0x20000 for n in range(7)]
    for slot in (STM32F4.slot_a, STM32F4.slot_b):
        assert slot.start in starts and slot.end in starts + [0x08100000]
        assert slot.start >= 0x08040000 and slot.size % STM32F4.slot_sector_size == 0
    assert STM32F4.journal.start in starts and STM32F4.journal.start + STM32F4.journal_sector_size in starts
    assert STM32F4.bootloader.end <= STM32F4.journal.start and STM32F4.reserved.start == 0x08010000


def test_the_stm32f4_image_set_is_complete():
    names = {p.name for p in BUILD.iterdir()}
    for variant in ("v1", "v2", "v3-crash", "v4-hang", "v5-noconfirm", "v6-revb", "v7-drain", "downgrade"):
        for slot in "AB":
            assert {f"app-{variant}-slot{slot}.elf", f"app-{variant}-slot{slot}.signed.bin"} <= names
    assert {"bootloader.elf", "bootloader.bin", "factory-v1.bin",
            "unit-unity.elf", "unit-ztest.elf", "unit-fixture.elf"} <= names
    assert len((BUILD / "factory-v1.bin").read_bytes()) == STM32F4.flash.size
    assert len(list((BUILD / "bad").glob("*.bin"))) == 16


def _netduino(image: Path) -> pexpect.spawn:
    qemu = shutil.which("qemu-system-arm")
    if qemu is None:
        pytest.skip("qemu-system-arm is not on PATH: apt-get install qemu-system-arm")
    # USART1 is serial 0 and USART2 (the demo's console) serial 1.
    return pexpect.spawn(qemu, ["-M", "netduinoplus2", "-display", "none", "-monitor", "none",
                                "-serial", "null", "-serial", "stdio", "-kernel", str(image)], timeout=20)


def test_the_stm32f4_build_boots_to_its_banner_on_qemu_netduinoplus2():
    child = _netduino(BUILD / "factory-v1.bin")
    try:
        child.expect(rb"BOOT slot=A version=1\.0\.0 state=CONFIRMED tries=3 floor=1 seq=0 reset=POWER_ON")
        child.expect(rb"app v1\.0\.0 slot=A\r")
        child.send(b"version\r")
        child.expect(rb"version 1\.0\.0 slot=A\r")       # USART2's receive interrupt ended the WFI
        child.send(b"metrics\r")
        child.expect(rb"metrics uptime_ms=\d+ crashes=0 battery_mv=\d+\.\d{3} link_errors=0 hw=\?")
    finally:
        child.close(force=True)
    assert not child.isalive()


def test_an_stm32f4_unit_image_runs_on_qemu_netduinoplus2():
    child = _netduino(BUILD / "unit-unity.elf")
    try:
        child.expect(rb"unit runner: starting")
        child.expect(rb"5 Tests 1 Failures 1 Ignored")
    finally:
        child.close(force=True)
