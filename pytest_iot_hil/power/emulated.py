"""The power of an emulated target: its backend cuts and restores it exactly."""

from __future__ import annotations

from ..protocols.power import PowerSwitch
from ..protocols.target import Target


class TargetPower(PowerSwitch):
    """Uses the target's own ``power_off()``/``power_on()`` (flash kept, RAM lost)."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def off(self) -> None:
        self.target.power_off()

    def on(self) -> None:
        self.target.power_on()
