"""USB port power through ``uhubctl`` (a board powered from a hub port that can switch it).

Inventory::

    [targets.nucleo.power]
    driver = "uhubctl"
    location = "1-1.4"   # the hub, as `uhubctl` lists it
    port = 2
    uhubctl = "uhubctl"  # optional: the command (e.g. "sudo uhubctl")
    repeat = 1           # optional: -r N, for hubs that need the request repeated
    settle_s = 1.0       # optional: wait after switching (USB re-enumeration takes a moment)

uhubctl prints the port's state after each request (``New status for hub
1-1.4 [...]`` then ``  Port 2: 0000 off``); the driver checks that line, so
a hub that ignores the request (no per-port power switching) is an error,
not a silent pass. Debian: ``apt install uhubctl``; it needs write access to
the hub (root, or the udev rule from its README).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import time

from ..errors import HilConfigError, TargetError
from ..protocols.power import PowerSwitch
from .spec import Spec


class UhubctlPower(PowerSwitch):
    def __init__(self, location: str, port: int, *, uhubctl: str = "uhubctl", repeat: int | None = None,
                 settle_s: float = 0.0, timeout_s: float = 30.0, source: str = "") -> None:
        if not re.fullmatch(r"[0-9]+(-[0-9]+(\.[0-9]+)*)?", location):
            raise HilConfigError(f"{source}: `location` {location!r} is not a hub location as uhubctl prints it "
                                 "(e.g. \"1-1.4\")")
        try:
            self.command = shlex.split(uhubctl)
        except ValueError as exc:
            raise HilConfigError(f"{source}: cannot split `uhubctl` into words ({exc})") from None
        self.location = location
        self.port = port
        self.repeat = repeat
        self.settle_s = settle_s
        self.timeout_s = timeout_s

    @classmethod
    def from_spec(cls, spec: dict, where: str) -> "UhubctlPower":
        s = Spec(spec, where, "uhubctl")
        power = cls(s.text("location"), s.integer("port", low=1, high=255), uhubctl=s.text("uhubctl", "uhubctl"),
                    repeat=s.integer("repeat", None, low=1, high=100), settle_s=s.number("settle_s", 0.0),
                    timeout_s=s.number("timeout_s", 30.0, low=1.0), source=where)
        s.done()
        return power

    def argv(self, action: str) -> list[str]:
        argv = [*self.command, "-l", self.location, "-p", str(self.port), "-a", action]
        if self.repeat:
            argv += ["-r", str(self.repeat)]
        return argv

    def _switch(self, action: str) -> None:
        argv = self.argv(action)
        shown = " ".join(argv)
        try:
            res = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout_s)
        except FileNotFoundError:
            raise TargetError(f"uhubctl not found ({self.command[0]!r}): apt install uhubctl, or set `uhubctl` "
                              "in the inventory") from None
        except subprocess.TimeoutExpired:
            raise TargetError(f"`{shown}` did not finish within {self.timeout_s:g} s") from None
        out = res.stdout + res.stderr
        if res.returncode != 0:
            last = next((line.strip() for line in reversed(out.splitlines()) if line.strip()), "no output")
            raise TargetError(f"`{shown}` failed (exit {res.returncode}): {last}")
        state = self.new_state(out)
        if state is None:
            raise TargetError(f"`{shown}` printed no new status for hub {self.location} port {self.port}: "
                              "is that the right hub and port?")
        if (action == "off") != (state == "off"):
            raise TargetError(f"`{shown}`: port {self.port} of hub {self.location} is now {state!r}, not "
                              f"{action}: the hub may not switch port power (uhubctl lists which do)")
        if self.settle_s > 0:
            time.sleep(self.settle_s)

    def new_state(self, output: str) -> str | None:
        """``"off"`` or ``"on"`` from uhubctl's ``New status`` block for our hub and port, or None."""
        block = re.split(rf"^New status for hub {re.escape(self.location)} ", output, flags=re.M)
        if len(block) < 2:
            return None
        m = re.search(rf"^\s+Port {self.port}: [0-9a-f]{{4}}( .*)?$", block[-1], re.M)
        if m is None:
            return None
        words = (m.group(1) or "").split()
        return "off" if "off" in words or "power" not in words else "on"

    def on(self) -> None:
        self._switch("on")

    def off(self) -> None:
        self._switch("off")

    def properties(self) -> dict[str, str]:
        return {"power_driver": "uhubctl", "power_port": f"{self.location}:{self.port}"}
