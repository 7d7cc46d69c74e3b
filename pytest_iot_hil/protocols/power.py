"""The power switch protocol: as small as a relay."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod


class PowerSwitch(ABC):
    """Something that can remove and restore a target's supply."""

    @abstractmethod
    def on(self) -> None:
        """Restore power; the target boots from whatever its flash holds."""

    @abstractmethod
    def off(self) -> None:
        """Remove power; RAM is lost, flash keeps what was written."""

    def cycle(self, off_s: float = 0.0) -> None:
        """Switch off, wait ``off_s`` seconds, switch on."""
        self.off()
        if off_s > 0:
            time.sleep(off_s)
        self.on()

    def properties(self) -> dict[str, str]:
        """Facts about the switch for the JUnit report (driver, port, ...)."""
        return {}

    def close(self) -> None:
        """Release what the switch holds open (an instrument session, a serial port); power stays as it is."""


class BuiltInPower(ABC):
    """A target that brings its own power switch (emulators: the emulated supply).

    A board on a probe has none: its power comes from a switch named in the
    inventory (``[targets.NAME.power]``).
    """

    @abstractmethod
    def power_switch(self) -> PowerSwitch:
        """The switch that powers this target."""
