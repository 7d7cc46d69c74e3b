"""The demo bootloader's recovery takes an image over SMP, as MCUboot's serial recovery does.

A flash holding only the bootloader has no bootable image: the bootloader
stays in recovery on the console (PROTOCOL.md §8). The demo profile's client
uploads v1 into slot A there, tests it and resets through SMP; the trial boot
runs it, and it is confirmed. Garbage on the console (NUL and 0xFF bytes, a
broken frame line) costs a line, never the next command or request.
"""

from __future__ import annotations

import pytest

from pytest_iot_hil.backends.qemu.target import QemuTarget
from pytest_iot_hil.console import console_for
from pytest_iot_hil.devices.demo.boot import DemoBootObserver
from pytest_iot_hil.devices.demo.client import DemoUpdateClient
from pytest_iot_hil.devices.demo.layout import builtin_target, firmware_dir
from pytest_iot_hil.firmware import FirmwareImage
from pytest_iot_hil.update import UpdateError

pytestmark = pytest.mark.needs_qemu

BUILD = firmware_dir()


@pytest.fixture
def recovery():
    target = QemuTarget(builtin_target())
    try:
        target.start(FirmwareImage.load(BUILD / "bootloader.bin", load_address=0))
        console = console_for(target, timeout=10)
        ota = DemoUpdateClient(console, reply_timeout=5)
        try:
            console.expect(r"BOOT slot=- version=- state=RECOVERY [^\r\n]*rollback=NO_VALID_IMAGE")
            yield console, ota, DemoBootObserver(console, timeout=10)
        finally:
            ota.close()
            console.close()
    finally:
        target.close()


def test_recovery_takes_an_image_over_smp_and_boots_it_on_trial(recovery):
    console, ota, boot = recovery
    console.sendline("version")
    console.expect(r"version recovery slot=-")
    assert ota.image_states() == []                        # nothing bootable yet
    ota.install(BUILD / "app-v1-slotA.signed.bin")         # upload, state write test, OS reset
    trial = boot.wait_for_boot()
    assert (trial.slot, trial.version, trial.state) == ("A", "1.0.0", "PENDING")
    ota.confirm()
    assert boot.running().state == "CONFIRMED"


def test_recovery_refuses_an_image_for_the_other_slot(recovery):
    console, ota, _ = recovery
    with pytest.raises(UpdateError) as exc:
        ota.install(BUILD / "app-v1-slotB.signed.bin")    # linked for slot B: recovery writes slot A
    assert exc.value.code.startswith("E_")
    console.sendline("version")
    console.expect(r"version recovery slot=-")


def test_garbage_never_wedges_the_recovery_console(recovery):
    console, ota, _ = recovery
    console.send(b"\x00\xff\x00 noise \x06\x09AAAA\r\n\x00\x00\r\n")
    console.sendline("version")
    console.expect(r"version recovery slot=-")
    assert ota.echo("still here") == "still here"
