"""What a device tells a fleet about its health: the telemetry protocol.

A staged rollout decides from field telemetry (crashes, resets, battery,
link quality), and every firmware reports it its own way. A device profile
turns that into :class:`Health` records and :class:`Fault` reports through
a :class:`DeviceAgent` (hook ``pytest_hil_make_device_agent``); the fleet
engine uses only this protocol.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Mapping

from ..firmware import FirmwareImage


@dataclasses.dataclass(frozen=True)
class Health:
    """One answer of the device's metrics: counters since power-on, the battery now."""

    uptime_ms: int
    crashes: int
    battery_mv: float
    link_errors: int
    #: Anything else the firmware reports (``hw``, ``free_heap``, ...), as text.
    extra: Mapping[str, str] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Fault:
    """A crash the device reported on its console: the stacked PC and LR, and where they are in the code."""

    kind: str
    pc: int
    lr: int
    #: ``function (file:line)`` of the PC and LR, from the image's ELF (empty when no ELF was found).
    pc_at: str = ""
    lr_at: str = ""

    def __str__(self) -> str:
        where = f" in {self.pc_at}" if self.pc_at else ""
        called = f", called from {self.lr_at}" if self.lr_at else ""
        return f"{self.kind} at pc=0x{self.pc:08x}{where} (lr=0x{self.lr:08x}{called})"


class DeviceAgent(ABC):
    """What a fleet may do with one device of a profile, beyond updates and boots.

    Made by the device profile for a target and its console; a fleet makes
    one per device.
    """

    def personalize(self, firmware: FirmwareImage, identity: Mapping[str, str]) -> FirmwareImage:
        """The factory image for one device: ``identity`` holds its tags (``hw_rev``, ``region``, ...).

        A profile whose firmware reads a board identity (a hardware revision
        strap, an OTP record) adds it here; the default programs every device alike.
        """
        return firmware

    @abstractmethod
    def health(self) -> Health:
        """Ask the running device for its metrics."""

    def set_battery(self, millivolts: int) -> None:
        """Field condition: the device's battery is at ``millivolts`` (a test hook of the firmware)."""
        raise NotImplementedError(f"{type(self).__name__} cannot set a device's battery")

    @abstractmethod
    def faults(self, transcript: str, image: Path | None = None) -> list[Fault]:
        """Every fault report in ``transcript``, symbolized from the ELF of ``image`` (an update image) if known."""
