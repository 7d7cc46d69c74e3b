"""Over-the-air updates on the demo device, as a firmware team would test them.

The device starts with app v1 confirmed in slot A. An update goes into the
other slot (B), boots there on trial, and must be confirmed; a bad image
must bring the device back to v1 by itself.

Run with:  pytest --hil examples
"""

import pytest

from pytest_iot_hil import assert_boot_attempts, assert_rolled_back, assert_running
from pytest_iot_hil.update import UpdateError
from pytest_iot_hil.devices.demo import demo_image


@pytest.mark.hil
def test_update_to_v2_and_confirm(ota, boot, console, power):
    boot.wait_for_boot()                              # v1 runs from slot A
    ota.install(demo_image("v2", slot="B"))          # transfer, validate, activate, reboot
    trial = boot.wait_for_boot()
    assert trial.state == "PENDING"                  # on trial: not yet the fallback
    ota.confirm()                                    # the app says: I am healthy
    power.cycle()
    boot.wait_for_boot()
    assert_running(console, version="2.0.0", slot="B", state="CONFIRMED")


@pytest.mark.hil
def test_crashing_update_rolls_back_after_three_attempts(ota, boot, console):
    boot.wait_for_boot()
    ota.install(demo_image("v3-crash", slot="B"))   # HardFaults right after its banner
    for _ in range(4):                              # 3 attempts, then the fallback
        boot.wait_for_boot(app=False)
    assert_boot_attempts(console, 3, version="3.0.0")
    assert_rolled_back(console, to="1.0.0", reason="TRIES_EXHAUSTED")


@pytest.mark.hil
def test_hanging_update_is_caught_by_the_watchdog(ota, boot, console):
    boot.wait_for_boot()
    ota.install(demo_image("v4-hang", slot="B"))    # never feeds the watchdog
    boots = [boot.wait_for_boot(timeout=15, app=False) for _ in range(4)]
    assert [b.reset for b in boots[1:]] == ["WATCHDOG"] * 3
    assert_rolled_back(console, to="1.0.0", reason="TRIES_EXHAUSTED")


@pytest.mark.hil
def test_corrupt_image_is_refused(ota, boot, hil_target):
    boot.wait_for_boot()
    start = hil_target.description.region("slot_a").start   # 0x10000 on mps2, 0x08040000 on the STM32F4
    slot_a = hil_target.read_memory(start, 0x1000)
    with pytest.raises(UpdateError) as refused:
        ota.install(demo_image("bad/payload-flip", slot="B"))
    assert refused.value.code == "E_HASH"            # the device said why
    assert hil_target.read_memory(start, 0x1000) == slot_a


@pytest.mark.hil
def test_downgrade_is_refused(ota, boot):
    boot.wait_for_boot()
    with pytest.raises(UpdateError) as refused:
        ota.install(demo_image("downgrade", slot="B"))  # SEC_CNT 0, below the floor of 1
    assert refused.value.code == "E_ROLLBACK"
