"""The power fixture and every kind of cut trigger, on the QEMU demo target."""

from __future__ import annotations

import pytest

from pytest_iot_hil.devices.demo.journal import read_journal
from pytest_iot_hil.power import (
    PowerCutNotTriggered, after, after_update_bytes, at_flash_write, on_console,
)
from pytest_iot_hil.devices.demo.images import demo_image

pytestmark = pytest.mark.hil

SLOT_B = 0x88000


@pytest.fixture
def v2():
    return demo_image("v2", slot="B").read_bytes()


def test_off_on_keeps_flash_and_loses_ram(hil_target, power, ota, boot):
    boot.wait_for_boot()
    hil_target.write_memory(0x000FF000, b"persist!")
    hil_target.write_memory(0x20030000, b"volatile")
    power.off()
    assert not hil_target.powered
    power.on()
    assert boot.wait_for_boot().reset == "POWER_ON"
    assert hil_target.read_memory(0x000FF000, 8) == b"persist!"
    assert hil_target.read_memory(0x20030000, 8) == bytes(8)


def test_cycle_boots_again(power, ota, boot):
    boot.wait_for_boot()
    power.cycle(off_s=0.05)
    assert boot.wait_for_boot().reset == "POWER_ON"


def test_cut_on_console_pattern_during_update(power, ota, boot, console, v2):
    boot.wait_for_boot()
    # SMP answers show in the transcript as markers: six in a row are six acknowledged upload chunks.
    with power.cut_at(on_console(r"(?:\[SMP frame\]\n){6}")) as cut:
        ota.install(v2)
    assert cut.happened
    power.on()
    seen = boot.wait_for_boot()
    assert (seen.slot, seen.version) == ("A", "1.0.0"), "an interrupted transfer must leave v1 running"


def test_cut_after_update_bytes_then_retry_completes(power, ota, boot, hil_target, v2):
    boot.wait_for_boot()
    with power.cut_at(after_update_bytes(5000)) as cut:
        ota.install(v2)
    assert cut.happened
    # The cut came after the chunk holding byte 5000 was acknowledged.
    assert hil_target.powered is False
    power.on()
    boot.wait_for_boot()
    result = ota.transfer(v2)
    assert result.resumed_from == 0, "RAM-held transfer progress cannot survive a power cut"
    ota.finish()
    ota.activate()
    ota.reboot()
    seen = boot.wait_for_boot()
    assert (seen.slot, seen.version, seen.state) == ("B", "2.0.0", "PENDING")


def test_cut_a_time_after_an_event(power, ota, boot, v2):
    boot.wait_for_boot()
    with power.cut_at(after(0.05, event=r"\[SMP frame\]")) as cut:
        ota.install(v2)
    assert cut.happened and cut.at is not None
    power.on()
    assert boot.wait_for_boot().version == "1.0.0"


def test_cut_before_the_kth_journal_write_tears_the_record(power, ota, boot, hil_target, v2):
    boot.wait_for_boot()
    before = read_journal(hil_target)
    # A record is 16 word stores; cut before the 8th store of the first one (BEGIN's).
    with power.cut_at(at_flash_write(8, region="journal")) as cut:
        ota.install(v2)
    assert cut.happened
    power.on()
    seen = boot.wait_for_boot()
    assert (seen.version, seen.seq) == ("1.0.0", before.latest.seq)
    after_cut = read_journal(hil_target)
    torn = [r for r in after_cut.records if not r.valid]
    assert len(torn) == 1 and torn[0].raw[28:] == b"\xff" * 36, "exactly 7 words of the record were stored"
    assert after_cut.latest.seq == before.latest.seq


def test_cut_before_the_first_slot_write_leaves_slot_erased(power, ota, boot, hil_target, v2):
    boot.wait_for_boot()
    with power.cut_at(at_flash_write(1, region="slot_b")):
        ota.install(v2)
    power.on()
    boot.wait_for_boot()
    assert hil_target.read_memory(SLOT_B, 4096) == b"\xff" * 4096


def test_a_trigger_that_never_fires_is_reported(power, ota, boot):
    boot.wait_for_boot()
    with pytest.raises(PowerCutNotTriggered, match="never happened"):
        with power.cut_at(on_console("this never appears")):
            boot.info()


def test_command_power_driver(pytester, tmp_path):
    """A bench relay driven by shell commands, from the inventory."""
    log = tmp_path / "relay.log"
    pytester.makefile(".toml", hil=f'''
[targets.bench]
backend = "qemu"
machine = "mps2-an385"
flash = {{ start = 0x0, size = 0x100000 }}
firmware = "{demo_image('v1', 'A').parent / 'factory-v1.bin'}"
[targets.bench.power]
driver = "command"
on = "sh -c 'echo on >> {log}'"
off = "sh -c 'echo off >> {log}'"
''')
    pytester.makepyfile('''
import pytest
@pytest.mark.hil
def test_relay(power):
    power.cycle()
    power.off()
''')
    result = pytester.runpytest("--hil")
    result.assert_outcomes(passed=1)
    assert log.read_text().split() == ["off", "on", "off"]


def test_a_mistyped_region_is_named(power, ota, boot):
    from pytest_iot_hil.errors import HilConfigError

    boot.wait_for_boot()
    with pytest.raises(HilConfigError, match="no region 'jounral'.*known: bootloader, journal"):
        with power.cut_at(at_flash_write(1, region="jounral")):
            pass


def test_power_on_after_the_emulator_died_reaps_it(hil_target, ota, boot):
    import os
    import signal

    from pytest_iot_hil.processes import live_processes

    boot.wait_for_boot()
    old = hil_target._proc
    os.kill(old.pid, signal.SIGKILL)
    old.popen.wait(5)
    hil_target.power_on() if not hil_target.powered else None
    hil_target.power_off()
    hil_target.power_on()
    assert boot.wait_for_boot().version == "1.0.0"
    assert old not in live_processes(), "the dead emulator must be reaped, not leaked"
    assert len([p for p in live_processes() if p is not hil_target._proc]) == 0
