"""Update benchmark on the emulated demo device, all measured in one run:

* raw console throughput: host-to-device bytes the app consumes per second
  (one 64 KiB line it drops, then `version`, timed to the reply);
* update throughput over SMP (MCUmgr: smpclient through the console, base64
  lines, the device's CRCs and flash writes) for the v2 image and for a
  128 KiB image (v2's payload padded), in image bytes per second, and the
  bytes SMP put on the wire per image byte;
* the whole v1 -> v2 -> confirm cycle (transfer, validate, activate, reboot,
  trial boot, confirm);
* all of it twice: through the demo profile's client (the ``ota`` fixture's:
  SMP with the demo's refusal reasons) and through the plain SMP client any
  MCUmgr device gets.

    python benchmarks/bench_ota.py
"""

from __future__ import annotations

import statistics
import time

from pytest_iot_hil.backends.qemu.target import QemuTarget
from pytest_iot_hil.console import console_for
from pytest_iot_hil.firmware import FirmwareImage
from pytest_iot_hil.images.build import sign_bytes
from pytest_iot_hil.images.mcuboot import read_image
from pytest_iot_hil.devices.demo.layout import HEADER_SIZE, SLOT_BASES, SLOT_SIZE, builtin_target, signing_key
from pytest_iot_hil.devices.demo.boot import DemoBootObserver
from pytest_iot_hil.devices.demo.client import DemoUpdateClient
from pytest_iot_hil.update.smp.client import SmpUpdateClient
from pytest_iot_hil.devices.demo.images import demo_image


class Device:
    def __init__(self) -> None:
        self.description = builtin_target()
        self.target = QemuTarget(self.description)
        self.target.start(FirmwareImage.load(self.description.firmware))
        self.console = console_for(self.target, timeout=60)
        self.ota = DemoUpdateClient(self.console, reply_timeout=10)
        self.boot = DemoBootObserver(self.console, timeout=60)
        self.boot.wait_for_boot()
        self.smp = SmpUpdateClient(self.console, timeout=10)

    def close(self) -> None:
        self.target.close()


def raw_console_rate(device: Device, size: int = 64 * 1024) -> float:
    # One long line: the app drops it once its line buffer overflows, and
    # answers nothing until the newline, so only the receive path is timed.
    junk = b"x" * size + b"\n"
    started = time.perf_counter()
    device.console.send(junk)
    device.console.sendline("version")
    device.console.expect(r"version \S+ slot=\w\r?\n")
    return len(junk) / (time.perf_counter() - started)


def update_rate(image: bytes, smp: bool = False) -> tuple[float, float]:
    """(image bytes per second, wire bytes per image byte) of one transfer."""
    device = Device()
    try:
        client = device.smp if smp else device.ota
        client.echo()  # connect (MCUmgr params) before the clock starts
        sent = client.transport.bytes_sent
        result = client.transfer(image)
        client.finish()
        return result.size / result.seconds, (client.transport.bytes_sent - sent) / len(image)
    finally:
        device.close()


def full_cycle(image: bytes, smp: bool = False) -> float:
    device = Device()
    try:
        client = device.smp if smp else device.ota
        client.echo()
        started = time.perf_counter()
        client.install(image)
        boot = device.boot.wait_for_boot()
        assert boot.version == "2.0.0", boot
        client.confirm()
        return time.perf_counter() - started
    finally:
        device.close()


def main() -> None:
    v2 = demo_image("v2", slot="B").read_bytes()
    info = read_image(v2)
    big = sign_bytes(info.payload + bytes(128 * 1024 - len(info.payload) - 0x400), version="2.0.0", key=signing_key(),
                     security_counter=2, slot_base=SLOT_BASES["B"], slot_size=SLOT_SIZE, header_size=HEADER_SIZE)
    device = Device()
    try:
        raw = statistics.median(raw_console_rate(device) for _ in range(3))
    finally:
        device.close()
    print(f"raw console, host to device:           {raw / 1024:6.1f} KiB/s")
    for name, smp in (("demo client", False), ("SMP client", True)):
        small, wire_small = statistics.median(update_rate(v2, smp) for _ in range(3))
        large, wire_large = update_rate(big, smp)
        cycle = statistics.median(full_cycle(v2, smp) for _ in range(3))
        wire = f"; {wire_small:.2f} wire bytes per image byte"
        print(f"{name}, update, {len(v2) / 1024:5.1f} KiB image:   {small / 1024:6.1f} KiB/s ({small / raw:.0%} of raw{wire})")
        print(f"{name}, update, {len(big) / 1024:5.1f} KiB image:   {large / 1024:6.1f} KiB/s ({large / raw:.0%} of raw)")
        print(f"{name}, v1 -> v2 -> confirm cycle:  {cycle:6.2f} s (median of 3)")


if __name__ == "__main__":
    main()
