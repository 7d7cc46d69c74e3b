"""A cut's transcript starts at its own power-on: late output of the firmware before it is dropped.

The device is pyserial's ``loop://`` port and a target that plays the race a
campaign meets on a device just opened: its first boot is still printing when
the cut's power-on halts it, so that boot's last line reaches the console
after the power-on began.
"""

from __future__ import annotations

import types

import serial

from pytest_iot_hil.campaign.trace import boot_state
from pytest_iot_hil.console import Console


class LateTarget:
    """Halting the old firmware lets its last line out; the new firmware then prints its own."""

    def __init__(self, port, *, calls_back: bool = True) -> None:
        self.port = port
        self.calls_back = calls_back
        self.images: list[bytes] = []

    def boot_flash_state(self, image: bytes, *, on_stopped=None) -> None:
        self.port.write(b"BOOT old boot, printed late\r\n")
        if on_stopped is not None and self.calls_back:
            on_stopped()
        self.images.append(image)
        self.port.write(b"BOOT new boot\r\n")


def _device(target_factory):
    port = serial.serial_for_url("loop://", timeout=0)
    port.write(b"BOOT old boot\r\n")          # what the first boot printed before the cut began
    console = Console(port, timeout=1)
    return types.SimpleNamespace(target=target_factory(port), console=console), port


def test_the_old_boots_late_line_is_not_in_the_cuts_transcript():
    device, port = _device(LateTarget)
    try:
        mark = boot_state(device, b"\xff" * 16, wait_booted=lambda d: d.console.expect(r"BOOT new boot"))
        since = device.console.transcript_since(mark)
        assert since.count(b"BOOT") == 1 and b"BOOT new boot" in since
        assert device.target.images == [b"\xff" * 16]
        assert b"printed late" in device.console.transcript_since(0)   # dropped for matching, kept in the log
    finally:
        device.console.close()
        port.close()


def test_a_backend_that_never_calls_back_still_gets_an_emptied_console():
    device, port = _device(lambda p: LateTarget(p, calls_back=False))
    try:
        mark = boot_state(device, b"\x00" * 16)
        device.console.expect(r"BOOT new boot")
        assert b"BOOT old boot\r\n" not in device.console.transcript_since(mark)
    finally:
        device.console.close()
        port.close()
