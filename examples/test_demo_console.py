"""A first look at pytest-iot-hil: boot, read the banner, talk to the firmware.

Run with:  pytest --hil examples
"""

import pytest


@pytest.mark.hil
def test_boot_banner(console):
    # Every test gets a freshly booted target; `console` is a pexpect spawn.
    console.expect(r"app v(\d+\.\d+\.\d+) slot=([AB])")
    version, slot = console.match.groups()
    assert version.startswith("1.")
    assert slot == "A"


@pytest.mark.hil
def test_version_command(console):
    console.expect("app v1")
    console.sendline("version")
    # A list of patterns returns the index of the one that matched.
    index = console.expect([r"version (\S+) slot=(\w)", r"\? unknown"], timeout=5)
    assert index == 0, "the firmware did not understand `version`"
    assert console.match.group(1) == "1.0.0"


@pytest.mark.hil
def test_reboot_shows_the_banner_again(console):
    console.expect("app v1")
    console.sendline("reboot")
    console.expect_exact("rebooting")
    console.expect("app v1", timeout=5)


@pytest.mark.hil
def test_power_cycle(power, console):
    console.expect("app v1")
    power.cycle()          # the emulated supply here; the bench's switch on a board
    # The same console object follows the target across the power cycle.
    console.expect("app v1", timeout=5)
