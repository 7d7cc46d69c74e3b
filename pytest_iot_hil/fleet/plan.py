"""A staged rollout as data: rings, soak, pause triggers.

Stages are cumulative, as Mender phases and Memfault's rollout percentages
are: ``Stage("canary", percent=5)`` then ``Stage("ring-1", percent=25)``
means 5% of the fleet, then 25% in all. A stage may be limited to devices
with given tags (ring membership by group); ``count`` gives a number of
devices instead of a percentage. Each stage soaks: every updated device is
watched for ``soak_boots`` boots (rebooted on purpose if it does not reboot
by itself) and ``soak_s`` seconds of its own time, then the triggers look at
the stage's devices.

Trigger metrics (fractions of the stage's devices unless noted):

* ``crash_rate``: devices that crashed (a HardFault reset or fault report) on the new image;
* ``rollback_rate``: devices that ended on the old image (they rolled back, or were rolled back);
* ``update_failure_rate``: devices the update did not reach, after its retries;
* ``not_reporting``: devices that did not report during the stage (offline);
* ``battery_drain``: the stage's mean battery drain (mV per hour) over that of
  the previous version, measured on the same devices before the update (a ratio).
"""

from __future__ import annotations

import dataclasses
from typing import Mapping

from ..errors import HilConfigError

METRICS = ("crash_rate", "rollback_rate", "update_failure_rate", "not_reporting", "battery_drain")


@dataclasses.dataclass(frozen=True)
class Stage:
    name: str
    percent: float | None = None
    count: int | None = None
    tags: Mapping[str, str] = dataclasses.field(default_factory=dict)
    soak_boots: int = 1
    soak_s: float = 0.0

    def __post_init__(self) -> None:
        where = f"Stage({self.name!r})"
        if (self.percent is None) == (self.count is None):
            raise HilConfigError(f"{where}: give percent= or count=, one of them")
        if self.percent is not None and not 0 < self.percent <= 100:
            raise HilConfigError(f"{where}: percent={self.percent} must be above 0 and at most 100")
        if self.count is not None and self.count < 1:
            raise HilConfigError(f"{where}: count={self.count} must be 1 or more")
        if self.soak_boots < 0 or self.soak_s < 0:
            raise HilConfigError(f"{where}: soak_boots and soak_s cannot be negative")

    def cumulative_size(self, fleet_size: int) -> int:
        if self.count is not None:
            return min(self.count, fleet_size)
        return max(1, -(-int(round(self.percent * fleet_size * 100)) // 10000))  # ceil(percent% of N), at least 1


@dataclasses.dataclass(frozen=True)
class Trigger:
    """Pause when ``metric`` over the stage's devices exceeds ``threshold`` (with at least ``min_devices`` counted)."""

    metric: str
    threshold: float
    min_devices: int = 1

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise HilConfigError(f"Trigger({self.metric!r}): choose one of {', '.join(METRICS)}")
        if self.threshold < 0:
            raise HilConfigError(f"Trigger({self.metric!r}): threshold={self.threshold} cannot be negative")

    def describe(self) -> str:
        unit = "x the previous version" if self.metric == "battery_drain" else ""
        value = f"{self.threshold:g}{unit}" if unit else f"{self.threshold:.0%}"
        return f"{self.metric} > {value}"


@dataclasses.dataclass(frozen=True)
class RolloutPlan:
    stages: tuple[Stage, ...]
    triggers: tuple[Trigger, ...] = ()
    #: Devices whose battery is below this are not updated (deferred), as field agents do.
    min_battery_mv: int = 0
    #: Further attempts at an update that failed or lost power on the way.
    retries: int = 2
    #: Roll back the updated devices through the update client when a trigger trips.
    rollback_on_pause: bool = True

    def __post_init__(self) -> None:
        if not self.stages:
            raise HilConfigError("RolloutPlan needs at least one Stage")
        names = [s.name for s in self.stages]
        if len(set(names)) != len(names):
            raise HilConfigError(f"RolloutPlan: stage names must differ ({', '.join(names)})")
        sizes = [s.percent for s in self.stages if s.percent is not None]
        if sizes != sorted(sizes):
            raise HilConfigError(f"RolloutPlan: stage percentages are cumulative and must not fall ({sizes})")
        if self.retries < 0:
            raise HilConfigError(f"RolloutPlan: retries={self.retries} cannot be negative")
