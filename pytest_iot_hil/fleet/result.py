"""What a rehearsal found: per stage, per device, over time."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..protocols.health import Fault

#: A device's outcome in the stage that selected it.
OUTCOMES = ("updated", "crashed", "rolled_back", "update_failed", "not_reporting", "deferred")


@dataclasses.dataclass
class DeviceOutcome:
    device: str
    tags: dict[str, str]
    conditions: str
    #: The stage that selected the device (``None``: the rollout never reached it).
    stage: str | None = None
    outcome: str = "not_reached"
    version: str = ""
    state: str = ""
    attempts: int = 0
    power_cuts: int = 0
    #: Bytes the lossy link dropped or damaged on the way to the device.
    link_damage: int = 0
    faults: list[Fault] = dataclasses.field(default_factory=list)
    #: Battery drain on the new image and on the old one, mV per hour.
    drain_mv_h: float | None = None
    baseline_mv_h: float | None = None
    notes: list[str] = dataclasses.field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """What must come out the same for the same seed (no timings)."""
        return {"stage": self.stage, "outcome": self.outcome, "version": self.version, "state": self.state,
                "attempts": self.attempts, "power_cuts": self.power_cuts,
                "faults": [f"{f.kind}@{f.pc:08x}" for f in self.faults]}


@dataclasses.dataclass(frozen=True)
class Trip:
    stage: str
    metric: str
    value: float
    threshold: float
    devices: tuple[str, ...]

    def __str__(self) -> str:
        shown = f"{self.value:.2f}x" if self.metric == "battery_drain" else f"{self.value:.0%}"
        limit = f"{self.threshold:g}x" if self.metric == "battery_drain" else f"{self.threshold:.0%}"
        return (f"{self.metric} {shown} > {limit} in stage {self.stage!r} "
                f"(devices: {', '.join(self.devices) or 'none'})")


@dataclasses.dataclass
class StageResult:
    name: str
    devices: list[str]
    counts: dict[str, int]
    metrics: dict[str, float]
    trip: Trip | None = None
    started_s: float = 0.0
    ended_s: float = 0.0


@dataclasses.dataclass
class RolloutResult:
    image: str
    version: str
    stages: list[StageResult]
    devices: dict[str, DeviceOutcome]
    #: (seconds since the start, device, version, state, what happened), in order.
    timeline: list[tuple[float, str, str, str, str]]
    initial_version: str = ""
    trip: Trip | None = None
    #: Stages of the plan the rehearsal did not start (after a pause).
    not_started: list[str] = dataclasses.field(default_factory=list)
    report: str | None = None

    @property
    def completed(self) -> bool:
        return self.trip is None and not self.not_started

    @property
    def paused_at(self) -> str | None:
        return self.trip.stage if self.trip else None

    @property
    def reached(self) -> str | None:
        """The last stage that ran (the one that paused, if one did)."""
        return self.stages[-1].name if self.stages else None

    def on_version(self, version: str) -> list[str]:
        return sorted(d for d, o in self.devices.items() if o.version == version)

    def summary(self) -> dict[str, Any]:
        """Everything but timings: equal for two rehearsals with the same seed."""
        return {
            "stages": [(s.name, s.devices, s.counts, s.trip and (s.trip.metric, s.trip.devices)) for s in self.stages],
            "paused_at": self.paused_at,
            "devices": {d: o.summary() for d, o in sorted(self.devices.items())},
        }


def assert_rollout_completed(result: RolloutResult) -> None:
    """Every stage ran, no trigger tripped, and every device it selected ended on the new version."""
    __tracebackhide__ = True
    problems = []
    if result.trip is not None:
        problems.append(f"paused: {result.trip}")
    if result.not_started:
        problems.append(f"stages not started: {', '.join(result.not_started)}")
    off = {d: f"{o.outcome}, {o.version} {o.state}" for d, o in sorted(result.devices.items())
           if o.stage is not None and o.outcome not in ("updated", "deferred")}
    if off:
        problems.append("devices not updated: " + "; ".join(f"{d} ({why})" for d, why in off.items()))
    if problems:
        raise AssertionError(f"rollout of {result.version} did not complete: " + " | ".join(problems))


def assert_paused_at(result: RolloutResult, *, stage: str, trigger: str | None = None) -> None:
    """The rollout paused at ``stage`` (by ``trigger``), and no later stage installed the image."""
    __tracebackhide__ = True
    if result.trip is None:
        raise AssertionError(f"rollout of {result.version} did not pause (expected at {stage!r}): it reached "
                             f"{result.reached!r}")
    if result.trip.stage != stage or (trigger is not None and result.trip.metric != trigger):
        raise AssertionError(f"rollout of {result.version} paused at {result.trip.stage!r} by {result.trip.metric}, "
                             f"expected {stage!r}" + (f" by {trigger}" if trigger else "") + f": {result.trip}")
    names = [s.name for s in result.stages]
    later = [d for d, o in result.devices.items() if o.stage not in names and o.stage is not None]
    if later:
        raise AssertionError(f"devices of stages after {stage!r} were selected: {', '.join(sorted(later))}")
