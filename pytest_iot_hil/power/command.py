"""A power switch driven by shell commands: relays, PDUs, USB hubs on a bench.

Inventory::

    [targets.bench.power]
    driver = "command"
    on  = "uhubctl -l 1-1 -p 2 -a on"
    off = "uhubctl -l 1-1 -p 2 -a off"
    settle_s = 0.5        # wait after switching, for supplies to settle
"""

from __future__ import annotations

import shlex
import subprocess
import time

from ..errors import HilConfigError, TargetError
from ..protocols.power import PowerSwitch


class CommandPower(PowerSwitch):
    def __init__(self, on: str, off: str, *, settle_s: float = 0.0, timeout_s: float = 30.0, source: str = "") -> None:
        if not on or not off:
            raise HilConfigError(f"{source}: the command power driver needs both `on` and `off` commands")
        self.on_command = on
        self.off_command = off
        self.settle_s = settle_s
        self.timeout_s = timeout_s

    def _run(self, command: str, what: str) -> None:
        try:
            result = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=self.timeout_s)
        except FileNotFoundError:
            raise TargetError(f"power {what} command not found: {command!r}: install it or fix the inventory") from None
        except subprocess.TimeoutExpired:
            raise TargetError(f"power {what} command {command!r} did not finish within {self.timeout_s:.0f} s") from None
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
            raise TargetError(f"power {what} command {command!r} failed (exit {result.returncode}): {detail[0]}")
        if self.settle_s > 0:
            time.sleep(self.settle_s)

    def on(self) -> None:
        self._run(self.on_command, "on")

    def off(self) -> None:
        self._run(self.off_command, "off")
