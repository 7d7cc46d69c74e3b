"""Pulling the plug in the middle of an update must never brick the device.

`power.cut_at(trigger)` cuts power when the trigger fires and quietly ends
whatever the `with` block was doing; `power.on()` then boots from the flash
exactly as the cut left it.

Run with:  pytest --hil examples
"""

import pytest

from pytest_iot_hil.power import after_update_bytes, at_flash_write, on_console
from pytest_iot_hil.devices.demo import demo_image


@pytest.mark.hil
def test_power_loss_halfway_through_the_transfer(ota, boot, power):
    boot.wait_for_boot()
    image = demo_image("v2", slot="B")
    with power.cut_at(after_update_bytes(image.stat().st_size // 2)):
        ota.install(image)
    power.on()
    assert boot.wait_for_boot().version == "1.0.0"   # still the old, confirmed image
    ota.install(image)                               # and the update can simply be retried
    assert boot.wait_for_boot().version == "2.0.0"


@pytest.mark.hil
def test_power_loss_when_the_device_prints_something(ota, boot, power):
    boot.wait_for_boot()
    with power.cut_at(on_console(r"BOOT slot=B version=2.0.0 state=PENDING")):   # the trial boot starts
        ota.install(demo_image("v2", slot="B"))
        boot.wait_for_boot()
    power.on()
    trial = boot.wait_for_boot()                      # the cut cost the trial a try
    assert (trial.version, trial.state, trial.tries) == ("2.0.0", "PENDING", 1)


@pytest.mark.hil(target="qemu")                     # exact cuts need an emulator
def test_power_loss_in_the_middle_of_a_journal_record(ota, boot, power):
    boot.wait_for_boot()
    with power.cut_at(at_flash_write(3, region="journal")):   # a torn record
        ota.install(demo_image("v2", slot="B"))
    power.on()
    seen = boot.wait_for_boot()
    assert (seen.version, seen.state) == ("1.0.0", "CONFIRMED")
