"""The demo device's health telemetry and board identity, for fleet rehearsals.

* ``metrics`` answers ``metrics uptime_ms=<n> crashes=<n> battery_mv=<n.nnn> link_errors=<n> hw=<rev>``;
* a HardFault prints ``FAULT HardFault pc=0x<pc> lr=0x<lr>`` before it resets;
* ``battery-set <mV>`` sets the simulated battery;
* the board identity record at the start of the reserved area (``HWID``,
  then the revision letter) is what the firmware reads as its hardware
  revision: a fleet device tagged ``hw_rev = "B"`` gets it in its factory image.
"""

from __future__ import annotations

import re
import struct
from pathlib import Path
from typing import Mapping

from ...errors import HilError
from ...firmware import FirmwareImage, Segment
from ...protocols.health import DeviceAgent, Fault, Health
from .layout import current_board

METRICS = re.compile(r"metrics uptime_ms=(\d+) crashes=(\d+) battery_mv=(\d+\.\d{3}) link_errors=(\d+) hw=(\S)")
FAULT = re.compile(r"FAULT (?P<kind>\w+) pc=0x(?P<pc>[0-9a-fA-F]{8}) lr=0x(?P<lr>[0-9a-fA-F]{8})")
HWID_MAGIC = 0x44495748
#: The tag a fleet device's hardware revision comes from.
REVISION_TAG = "hw_rev"


def identity_record(revision: str) -> bytes:
    if len(revision) != 1 or not "A" <= revision <= "Z":
        raise HilError(f"hardware revision {revision!r}: the demo board takes one letter A-Z")
    return struct.pack("<II", HWID_MAGIC, ord(revision))


def elf_of(image: Path) -> Path | None:
    """``app-v3-crash-slotB.signed.bin`` -> ``app-v3-crash-slotB.elf`` next to it, if it exists."""
    name = image.name.replace(".signed.bin", ".elf")
    candidate = image.with_name(name)
    return candidate if name.endswith(".elf") and candidate.is_file() else None


class DemoAgent(DeviceAgent):
    def __init__(self, console, *, reply_timeout: float = 5.0) -> None:
        self.console = console
        self.reply_timeout = reply_timeout

    def personalize(self, firmware: FirmwareImage, identity: Mapping[str, str]) -> FirmwareImage:
        revision = identity.get(REVISION_TAG)
        if not revision:
            return firmware
        record = Segment(current_board().reserved.start, identity_record(str(revision)))
        return FirmwareImage(path=firmware.path, segments=(*firmware.segments, record),
                             sha256=f"{firmware.sha256}+hw{revision}")

    def health(self) -> Health:
        self.console.sendline("metrics")
        self.console.expect(METRICS, timeout=self.reply_timeout)
        m = self.console.match
        groups = [g.decode() if isinstance(g, bytes) else g for g in m.groups()]
        return Health(uptime_ms=int(groups[0]), crashes=int(groups[1]), battery_mv=float(groups[2]),
                      link_errors=int(groups[3]), extra={"hw": groups[4]})

    def set_battery(self, millivolts: int) -> None:
        self.console.sendline(f"battery-set {int(millivolts)}")
        self.console.expect(r"OK battery-set \d+", timeout=self.reply_timeout)

    def faults(self, transcript: str, image: Path | None = None) -> list[Fault]:
        symbolizer = None
        elf = elf_of(Path(image)) if image is not None else None
        if elf is not None:
            from ...unit.elf import Symbolizer

            symbolizer = Symbolizer(elf)
        found = []
        for m in FAULT.finditer(transcript):
            pc, lr = int(m["pc"], 16), int(m["lr"], 16)
            pc_at = symbolizer.describe(pc) if symbolizer else ""
            lr_at = symbolizer.describe(lr & ~1) if symbolizer else ""
            found.append(Fault(m["kind"], pc, lr, pc_at, lr_at))
        return found
