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
        for key, command in (("on", on), ("off", off)):
            if not isinstance(command, str) or not command.strip():
                raise HilConfigError(f"{source}: the command power driver needs `{key} = \"<command>\"`")
        try:
            self._argv = {"on": shlex.split(on), "off": shlex.split(off)}
        except ValueError as exc:
            raise HilConfigError(f"{source}: cannot split a power command into words ({exc}): check its quotes") from None
        if isinstance(settle_s, bool) or not isinstance(settle_s, (int, float)) or not 0 <= settle_s <= 600:
            raise HilConfigError(f"{source}: `settle_s` must be a number of seconds (0 to 600), not {settle_s!r}")
        self.on_command = on
        self.off_command = off
        self.settle_s = float(settle_s)
        self.timeout_s = timeout_s

    @classmethod
    def from_spec(cls, spec: dict, source: str) -> "CommandPower":
        unknown = sorted(set(spec) - {"driver", "on", "off", "settle_s", "timeout_s"})
        if unknown:
            raise HilConfigError(f"{source}: unknown key(s) {', '.join(unknown)} for the command power driver "
                                 "(known: on, off, settle_s, timeout_s)")
        return cls(spec.get("on", ""), spec.get("off", ""), settle_s=spec.get("settle_s", 0.0),
                   timeout_s=spec.get("timeout_s", 30.0), source=source)

    def _run(self, command: str, what: str) -> None:
        try:
            result = subprocess.run(self._argv[what], capture_output=True, text=True, timeout=self.timeout_s)
        except FileNotFoundError:
            raise TargetError(f"power {what} command not found: {command!r}: install it or fix the inventory") from None
        except PermissionError:
            raise TargetError(f"power {what} command {command!r} is not executable: fix its permissions") from None
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
