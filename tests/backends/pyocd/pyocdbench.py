"""Inventory tables for boards on (simulated) probes, with the demo's memory map."""

from __future__ import annotations

import textwrap
from pathlib import Path

from pytest_iot_hil.devices.demo.layout import REGIONS, firmware_dir

FACTORY = firmware_dir() / "factory-v1.bin"


def demo_regions_toml(name: str) -> str:
    lines = [f"[targets.{name}.regions]"]
    lines += [f"{r.name} = {{ start = {r.start:#x}, size = {r.size:#x} }}" for r in REGIONS]
    return "\n".join(lines) + "\n"


def pyocd_target_toml(name: str, *, probe: str | None, firmware: Path | str | None = FACTORY,
                      console: Path | str | None = None, extra: str = "", device: bool = True) -> str:
    """An inventory table for a board on a (simulated) probe, with the demo's memory map."""
    text = f'[targets.{name}]\nbackend = "pyocd"\ntarget_type = "cortex_m"\n'
    if probe is not None:
        text += f'probe = "{probe}"\n'
    if device:
        text += 'device = "demo"\n'
    if firmware is not None:
        text += f'firmware = "{firmware}"\n'
    if console is not None:
        text += f'console = "{console}"\n'
    text += "flash = { start = 0x0, size = 0x100000 }\n" + textwrap.dedent(extra)
    return text + demo_regions_toml(name)
