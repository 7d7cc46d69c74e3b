"""Power cycles and memory access on the QEMU target running the demo firmware."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.needs_qemu

POWER = r"""
import os

import pexpect
import pytest
from pytest_iot_hil import ConsoleClosed, TargetError

BANNER = "app v1.0.0 slot=A"
OK = 10
FLASH_SPARE = 0x000F0000  # inside the 1 MiB flash, unused by the demo firmware (it ends below 0x1000)
RAM_SPARE = 0x20010000    # RAM well below the stack, unused by the demo firmware


@pytest.mark.hil
def test_power_cycle_keeps_flash_and_loses_ram(console, hil_target, hil_run):
    console.expect_exact(BANNER, timeout=OK)
    assert hil_run.description.flash.start <= FLASH_SPARE < hil_run.description.flash.end
    flash_data = b"survives a power cut " + bytes(range(256))
    ram_data = b"lost at power-off!"
    assert hil_target.read_memory(FLASH_SPARE, 16) == b"\xff" * 16  # erased flash
    hil_target.write_memory(FLASH_SPARE, flash_data)
    hil_target.write_memory(RAM_SPARE, ram_data)
    assert hil_target.read_memory(FLASH_SPARE, len(flash_data)) == flash_data
    assert hil_target.read_memory(RAM_SPARE, len(ram_data)) == ram_data

    hil_target.power_off()
    assert not hil_target.powered
    # The console sees the link go away...
    with pytest.raises(ConsoleClosed) as info:
        console.expect(BANNER, timeout=1)
    assert isinstance(info.value, pexpect.EOF)
    assert console.expect(["anything", pexpect.EOF], timeout=1) == 1  # EOF as a pattern
    with pytest.raises(ConsoleClosed):
        console.sendline("version")
    with pytest.raises(TargetError):
        hil_target.reset()
    # Flash can still be read while off (what the next power-on restores); RAM cannot.
    assert hil_target.read_memory(FLASH_SPARE, len(flash_data)) == flash_data
    with pytest.raises(TargetError):
        hil_target.read_memory(RAM_SPARE, 4)

    hil_target.power_on()
    assert hil_target.powered
    # ... and the same console object continues on the new link: a fresh boot.
    console.expect_exact(BANNER, timeout=OK)
    assert hil_target.read_memory(FLASH_SPARE, len(flash_data)) == flash_data
    assert hil_target.read_memory(RAM_SPARE, len(ram_data)) == bytes(len(ram_data))
    console.sendline("version")
    console.expect_exact("version 1.0.0 slot=A", timeout=OK)
    assert console.transcript.count(BANNER.encode()) == 2


@pytest.mark.hil
def test_reset_keeps_ram(console, hil_target):
    console.expect_exact(BANNER, timeout=OK)
    hil_target.write_memory(RAM_SPARE, b"kept over reset")
    hil_target.reset()
    console.expect_exact(BANNER, timeout=OK)
    assert hil_target.read_memory(RAM_SPARE, 15) == b"kept over reset"


@pytest.mark.hil
def test_memory_round_trip(console, hil_target, hil_run):
    console.expect_exact(BANNER, timeout=OK)
    # The firmware is where the ELF put it.
    text = hil_run.firmware.segments[0]
    assert text.address == 0
    assert hil_target.read_memory(0, 64) == text.data[:64]
    # More than one gdbstub packet's worth, both in RAM and in flash.
    blob = os.urandom(5000)
    for address in (RAM_SPARE, FLASH_SPARE):
        hil_target.write_memory(address, blob)
        assert hil_target.read_memory(address, len(blob)) == blob
        hil_target.write_memory(address + 1, b"\x00")
        assert hil_target.read_memory(address, 3) == blob[:1] + b"\x00" + blob[2:3]
    # Memory access halts the core only briefly: the firmware still answers.
    console.sendline("version")
    console.expect_exact("version 1.0.0 slot=A", timeout=OK)


@pytest.mark.hil
def test_power_off_twice_and_on_twice(console, hil_target):
    console.expect_exact(BANNER, timeout=OK)
    hil_target.power_off()
    hil_target.power_off()  # idempotent
    hil_target.power_on()
    hil_target.power_on()   # no second boot while powered
    console.expect_exact(BANNER, timeout=OK)
    assert hil_target.boots == 2
    assert console.expect([BANNER, pexpect.TIMEOUT], timeout=0.5) == 1
"""


def test_power_and_memory(pytester, demo_args):
    pytester.makepyfile(POWER)
    result = pytester.runpytest(*demo_args)
    result.assert_outcomes(passed=4)


def test_a_test_that_leaves_the_target_off(pytester, demo_args):
    """The next test gets a powered target again (function scope: a new one)."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hil
        def test_off(console, hil_target):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
            hil_target.power_off()

        @pytest.mark.hil
        def test_next(console, hil_target):
            assert hil_target.powered
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
        """
    )
    result = pytester.runpytest(*demo_args)
    result.assert_outcomes(passed=2)


def test_bin_firmware_boots(pytester, demo_firmware, junit):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hil
        def test_bin(console, hil_run, hil_target):
            assert hil_run.firmware.path.suffix == ".bin"
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
            console.sendline("version")
            console.expect_exact("version 1.0.0 slot=A", timeout=10)
            # Loaded at the target's load_address (0 for the built-in target).
            assert hil_target.read_memory(0, 64) == hil_run.firmware.segments[0].data[:64]
        """
    )
    result = pytester.runpytest("--hil", "--hil-firmware", "fw/demo-v0.bin", "--junitxml=report.xml")
    result.assert_outcomes(passed=1)
    case = junit(pytester.path / "report.xml")["test_bin"]
    assert case.property("hil_firmware") == str(demo_firmware.bin)
    assert case.property("hil_firmware_sha256") == demo_firmware.sha256(demo_firmware.bin)


def test_closing_a_target_is_quick(pytester, demo_args):
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.mark.hil
        def test_close(console, hil_target):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
            started = time.monotonic()
            hil_target.close()
            took = time.monotonic() - started
            assert not hil_target.powered
            assert took < 0.25, f"close() took {took:.2f} s"
        """
    )
    result = pytester.runpytest(*demo_args)
    result.assert_outcomes(passed=1)


def test_power_on_from_a_helper_thread(pytester, demo_args):
    pytester.makepyfile(
        """
        import threading
        import time
        import pytest

        @pytest.mark.hil
        def test_cycle_in_thread(console, hil_target):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)

            def cycle():
                hil_target.power_off()
                hil_target.power_on()

            worker = threading.Thread(target=cycle)
            worker.start()
            worker.join()
            time.sleep(0.5)
            assert hil_target.powered, "QEMU died when the thread that powered it on ended"
            console.sendline("version")
            console.expect_exact("version 1.0.0 slot=A", timeout=10)
        """
    )
    result = pytester.runpytest(*demo_args)
    result.assert_outcomes(passed=1)
