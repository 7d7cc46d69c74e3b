"""OTA update and rollback on the demo target, end to end in QEMU.

Each test starts from the factory image (bootloader + v1 in slot A) and
checks the outcome two independent ways: the bootloader's BOOT lines on the
console, and the journal decoded straight from target memory.
"""

from __future__ import annotations

import json

import pytest

from pytest_iot_hil.assertions import BootHistory, assert_boot_attempts, assert_rolled_back, assert_running
from pytest_iot_hil.devices.demo.assertions import assert_journal_matches
from pytest_iot_hil.devices.demo.attacks import write_into_slot
from pytest_iot_hil.devices.demo.journal import read_journal
from pytest_iot_hil.devices.demo.layout import firmware_dir as demo_firmware_dir
from pytest_iot_hil.update import UpdateError
from pytest_iot_hil.devices.demo.images import demo_image

pytestmark = pytest.mark.hil

SLOT_A = (0x10000, 0x78000)
SLOT_B = (0x88000, 0x78000)


@pytest.fixture
def booted(ota, boot):
    """The factory device, booted into v1 and confirmed (so it accepts updates)."""
    first = boot.wait_for_boot()
    assert first.version == "1.0.0" and first.slot == "A"
    return ota


def crosscheck(boot, target) -> None:
    assert_journal_matches(boot.info(), read_journal(target))


def test_v1_to_v2_trial_confirm_survives_reboots_and_power_cycle(booted, console, hil_target, boot):
    ota = booted
    facts = ota.install(demo_image("v2", slot="B"))
    assert facts["version"] == "2.0.0" and facts["state"] == "PENDING"
    trial = boot.wait_for_boot()
    assert (trial.slot, trial.version, trial.state, trial.tries) == ("B", "2.0.0", "PENDING", 2)
    ota.confirm()
    crosscheck(boot, hil_target)
    for _ in range(3):
        ota.reboot()
        seen = boot.wait_for_boot()
        assert (seen.slot, seen.version, seen.state) == ("B", "2.0.0", "CONFIRMED")
    hil_target.power_off()
    hil_target.power_on()
    seen = boot.wait_for_boot()
    assert seen.reset == "POWER_ON"
    assert_running(console, version="2.0.0", slot="B", state="CONFIRMED")
    assert seen.floor == 2, "confirming v2 (SEC_CNT 2) must raise the anti-rollback floor"
    crosscheck(boot, hil_target)


def _bad_images(slot: str) -> list:
    manifest = json.loads((demo_firmware_dir() / "bad" / "MANIFEST.json").read_text())
    return [
        pytest.param(entry["file"], entry["firmware_finish"], id=entry["kind"])
        for entry in manifest["images"]
        if entry["slot"] == slot and entry["firmware_finish"] != "OK"
    ]


@pytest.mark.parametrize("variant, code", _bad_images("B"))
def test_corrupt_image_is_rejected_and_v1_untouched(booted, hil_target, variant, code, boot):
    ota = booted
    slot_a_before = hil_target.read_memory(*SLOT_A)
    with pytest.raises(UpdateError) as err:
        ota.install(demo_firmware_dir() / "bad" / variant)
    assert err.value.code == code, str(err.value)
    assert hil_target.read_memory(*SLOT_A) == slot_a_before
    ota.reboot()
    seen = boot.wait_for_boot()
    assert (seen.slot, seen.version, seen.state) == ("A", "1.0.0", "CONFIRMED")
    crosscheck(boot, hil_target)


@pytest.mark.parametrize(
    "name, version, reset",
    [("v3-crash", "3.0.0", "HARDFAULT"), ("v4-hang", "4.0.0", "WATCHDOG")],
)
def test_failing_image_rolls_back_after_exactly_three_attempts(booted, console, hil_target, name, version, reset, boot):
    ota = booted
    ota.install(demo_image(name, slot="B"))
    # Each attempt dies by itself (a HardFault, or the watchdog on a hang).
    boots = [boot.wait_for_boot(timeout=15, app=False) for _ in range(4)]
    assert [b.version for b in boots] == [version] * 3 + ["1.0.0"]
    assert [b.reset for b in boots[1:]] == [reset] * 3
    assert_boot_attempts(console, 3, version=version)
    assert_rolled_back(console, to="1.0.0", reason="TRIES_EXHAUSTED")
    journal = read_journal(hil_target)
    assert journal.latest.slots["B"].state == "BAD"
    assert journal.latest.reason == "TRIES_EXHAUSTED"
    console.expect(r"app v1\S* slot=A")
    crosscheck(boot, hil_target)


def test_image_that_never_confirms_rolls_back(booted, console, hil_target, boot):
    ota = booted
    ota.install(demo_image("v5-noconfirm", slot="B"))
    for attempt in range(3):
        seen = boot.wait_for_boot()
        assert seen.version == "5.0.0" and seen.tries == 2 - attempt
        with pytest.raises(UpdateError, match="health"):
            ota.confirm()
        ota.reboot()
    boot.wait_for_boot()
    assert_boot_attempts(console, 3, version="5.0.0")
    assert_rolled_back(console, to="1.0.0", reason="TRIES_EXHAUSTED")
    crosscheck(boot, hil_target)


def test_downgrade_below_floor_refused_at_transfer(booted, hil_target, boot):
    ota = booted
    with pytest.raises(UpdateError) as err:
        ota.install(demo_image("downgrade", slot="B"))
    assert err.value.code == "E_ROLLBACK"
    ota.reboot()
    assert_running([boot.wait_for_boot()], version="1.0.0", slot="A")
    crosscheck(boot, hil_target)


def test_downgrade_written_into_slot_is_refused_at_boot(booted, console, hil_target, boot):
    """Bypass the update protocol: write the image and a PENDING record through target memory."""
    ota = booted
    write_into_slot(hil_target, demo_image("downgrade", slot="B").read_bytes(), "B")
    ota.reboot()
    boots = [boot.wait_for_boot()]
    assert_running(boots, version="1.0.0", slot="A")
    assert boots[-1].rollback == "INVALID"
    journal = read_journal(hil_target)
    assert journal.latest.slots["B"].state == "BAD"
    assert journal.latest.floor == 1
    assert "app v0.9.0" not in console.transcript.decode(errors="replace")
    crosscheck(boot, hil_target)


def test_interrupted_transfer_resumes(booted, hil_target):
    ota = booted
    image = demo_image("v2", slot="B").read_bytes()
    half = len(image) // 2
    first = ota.transfer(image, stop_at=half)
    assert first.resumed_from == 0
    again = ota.transfer(image)
    # The device says how far it got (all it acknowledged: up to 7 bytes of it wait in its RAM).
    assert half <= again.resumed_from < len(image), "the second transfer should resume, not restart"
    assert ota.finish()["version"] == "2.0.0"
    assert hil_target.read_memory(SLOT_B[0], len(image)) == image


def test_mark_bad_rolls_back(booted, console, hil_target, boot):
    ota = booted
    ota.install(demo_image("v2", slot="B"))
    boot.wait_for_boot()
    ota.mark_bad()
    seen = boot.wait_for_boot()
    assert (seen.version, seen.rollback) == ("1.0.0", "MARK_BAD")
    assert_rolled_back(console, to="1.0.0", reason="MARK_BAD")
    crosscheck(boot, hil_target)


def test_failed_assertion_shows_the_boot_history(booted, console):
    with pytest.raises(AssertionError) as err:
        assert_running(console, version="9.9.9")
    message = str(err.value)
    assert "boot history" in message and "1.0.0" in message and "CONFIRMED" in message
    assert len(BootHistory.of(console)) == 1
