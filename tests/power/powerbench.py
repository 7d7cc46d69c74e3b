"""The bench inventory the power tests write: a QEMU target with a ``[targets.bench.power]`` table."""

from __future__ import annotations

from pytest_iot_hil.devices.demo.layout import firmware_dir as demo_firmware_dir

FACTORY = demo_firmware_dir() / "factory-v1.bin"


def write_bench_inventory(pytester, power: str) -> None:
    """``hil.toml`` with target ``bench`` (QEMU, the demo factory image) and ``power`` as its power table."""
    pytester.makefile(".toml", hil=f'''
[targets.bench]
backend = "qemu"
machine = "mps2-an385"
flash = {{ start = 0x0, size = 0x100000 }}
firmware = "{FACTORY}"
[targets.bench.power]
{power}
''')
