"""A person as the power switch: the driver asks on the terminal and waits for Enter.

Inventory::

    [targets.prototype.power]
    driver = "manual"
    tty = "/dev/tty"      # optional: where to ask

For a board on a desk with no switch yet. It refuses to run when ``CI`` is
set (nobody is there to answer), and when there is no terminal.
"""

from __future__ import annotations

import os

from ..errors import HilConfigError, TargetError
from ..protocols.power import PowerSwitch
from .spec import Spec


class ManualPower(PowerSwitch):
    def __init__(self, *, name: str = "the board", tty: str = "/dev/tty", source: str = "") -> None:
        self.name = name
        self.tty = tty
        self.source = source

    @classmethod
    def from_spec(cls, spec: dict, where: str, name: str = "the board") -> "ManualPower":
        s = Spec(spec, where, "manual")
        power = cls(name=name, tty=s.text("tty", "/dev/tty"), source=where)
        s.done()
        return power

    def _ask(self, what: str) -> None:
        if os.environ.get("CI"):
            raise HilConfigError(f"{self.source}: the manual power driver needs a person at the terminal, and CI "
                                 "is set: use a power switch driver on CI")
        try:
            fd = os.open(self.tty, os.O_RDWR | os.O_NOCTTY)
        except OSError as exc:
            raise TargetError(f"the manual power driver cannot ask on {self.tty} ({exc.strerror}): run pytest "
                              "from a terminal, or use a power switch driver") from None
        try:
            os.write(fd, f"\n[pytest-iot-hil] switch {what} the power of {self.name}, then press Enter: ".encode())
            while True:   # up to the end of the line (pytest's capture does not own this terminal)
                chunk = os.read(fd, 1)
                if not chunk:
                    raise TargetError(f"no answer on {self.tty} (end of input): the power of {self.name} was "
                                      f"not switched {what}")
                if chunk in (b"\n", b"\r"):
                    break
        finally:
            os.close(fd)

    def on(self) -> None:
        self._ask("ON")

    def off(self) -> None:
        self._ask("OFF")

    def properties(self) -> dict[str, str]:
        return {"power_driver": "manual"}
