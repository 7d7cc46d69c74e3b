"""The rehearsal: a fleet of emulated devices, a plan, an image; stage by stage until done or paused.

For each stage the ring's devices (cumulative size, filtered by the stage's
tags, in an order drawn from the fleet's seed) are updated in parallel, each
as a field agent would: skip it when it is offline or its battery is low;
install the image (again after a power cut or a failure, up to the plan's
retries); watch the trial boot; if the application comes up and stays up,
soak it (reboots, device time) and read its health; if it crashes, watch it
roll back by itself. Then the triggers look at the stage. A tripped trigger
pauses the rollout: the stage's devices still on trial are rolled back
through the update client (``mark_bad``), and no later stage starts. A
stage that passes commits its devices (``confirm``).
"""

from __future__ import annotations

import concurrent.futures
import time
from pathlib import Path
from typing import Callable

from ..errors import ConsoleError, HilError, TargetError
from ..images.mcuboot import peek_image
from ..protocols.update import UpdateError, image_bytes
from ..power.triggers import after_update_bytes
from .device import FleetDevice
from .plan import RolloutPlan, Stage
from .result import DeviceOutcome, RolloutResult, StageResult, Trip

#: Resets that count as a crash of the running image.
CRASH_RESETS = ("HARDFAULT", "WATCHDOG")
#: How long an application that came up must stay up before it counts as up.
SETTLE_S = 1.0
#: Boots a crashing trial is watched for before it counts as crashing for good.
MAX_TRIAL_BOOTS = 8


class Rehearsal:
    def __init__(self, devices: list[FleetDevice], order: list[str], plan: RolloutPlan, image: Path | bytes, *,
                 workers: int, boot_timeout: float, on_event: Callable[[str], None] | None = None) -> None:
        self.devices = {d.id: d for d in devices}
        self.order = order
        self.plan = plan
        self.image_path = Path(image) if not isinstance(image, (bytes, bytearray)) else None
        self.image = image_bytes(image)
        self.version = peek_image(self.image).version
        self.workers = workers
        self.boot_timeout = boot_timeout
        self._t0 = time.monotonic()
        self.timeline: list[tuple[float, str, str, str, str]] = []
        self.outcomes: dict[str, DeviceOutcome] = {
            d.id: DeviceOutcome(d.id, dict(d.tags), d.conditions.describe()) for d in devices}
        self._on_event = on_event or (lambda line: None)
        self.initial_version = ""

    # -- recording ---------------------------------------------------------------------
    def _event(self, device: str, version: str | None, state: str, what: str) -> None:
        self.timeline.append((round(time.monotonic() - self._t0, 3), device, version or "-", state, what))

    # -- one device ----------------------------------------------------------------------
    def _update_one(self, dev: FleetDevice, stage_index: int, stage: Stage) -> None:
        try:
            self._update_device(dev, stage_index, stage)
        except (ConsoleError, TargetError) as exc:
            # A device that stops answering in the middle of its update is what the field
            # calls "not reporting": it counts against the stage, it does not end the rehearsal.
            out = self.outcomes[dev.id]
            out.outcome = "not_reporting"
            out.notes.append(f"stopped answering: {(str(exc).splitlines() or [''])[0]}")
            self._event(dev.id, out.version, out.state, "stopped answering")

    def _update_device(self, dev: FleetDevice, stage_index: int, stage: Stage) -> None:
        out = self.outcomes[dev.id]
        out.stage = stage.name
        if stage_index in dev.conditions.offline_stages:
            out.outcome = "not_reporting"
            out.notes.append(f"offline during stage {stage.name!r}")
            self._event(dev.id, out.version, out.state, "offline")
            return
        dev.start()
        before = dev.health()
        if before.battery_mv < self.plan.min_battery_mv:
            out.outcome = "deferred"
            out.notes.append(f"battery {before.battery_mv:.0f} mV below {self.plan.min_battery_mv} mV: not updated")
            self._event(dev.id, out.version, out.state, "deferred (battery)")
            return
        out.baseline_mv_h = dev.baseline_drain
        mark = dev.console.mark
        installed = self._install(dev, out)
        if not installed:
            out.outcome = "update_failed"
            self._final(dev, out, "update failed")
            return
        self._trial(dev, out, stage)
        out.faults = dev.agent.faults(dev.transcript_text(mark), self.image_path)
        if dev.link is not None:
            out.link_damage = dev.link.dropped + dev.link.corrupted

    def _install(self, dev: FleetDevice, out: DeviceOutcome) -> bool:
        cut_at = dev.conditions.power_cut_at
        for attempt in range(self.plan.retries + 1):
            out.attempts = attempt + 1
            self._event(dev.id, out.version, out.state, f"install attempt {attempt + 1}")
            try:
                if cut_at is not None and out.power_cuts == 0:
                    with dev.power.cut_at(after_update_bytes(max(1, int(len(self.image) * cut_at)))) as cut:
                        dev.ota.install(self.image)
                    if cut.happened:
                        out.power_cuts += 1
                        out.notes.append(f"power lost after {cut_at:.0%} of the update")
                        self._event(dev.id, out.version, "OFF", "power cut during the update")
                        dev.power.on()
                        seen = dev.boot.wait_for_boot(timeout=self.boot_timeout)
                        self._event(dev.id, seen.version, seen.state, "power on")
                        continue
                else:
                    dev.ota.install(self.image)
                return True
            except (UpdateError, ConsoleError, TargetError) as exc:
                out.notes.append(f"attempt {attempt + 1}: {str(exc).splitlines()[0]}")
                self._recover(dev)
        return False

    def _recover(self, dev: FleetDevice) -> None:
        """After a failed attempt: make sure the device runs (a power cycle if it does not answer)."""
        try:
            dev.boot.running()
        except (ConsoleError, HilError):
            dev.power.cycle()
            dev.boot.wait_for_boot(timeout=self.boot_timeout)

    def _trial(self, dev: FleetDevice, out: DeviceOutcome, stage: Stage) -> None:
        crashed = False
        first = None
        seen = dev.boot.wait_for_boot(timeout=self.boot_timeout)
        for _ in range(MAX_TRIAL_BOOTS):
            self._event(dev.id, seen.version, seen.state, f"boot ({seen.reset})")
            crashed = crashed or seen.reset in CRASH_RESETS
            if seen.version != self.version:
                # The new image is gone: the bootloader fell back by itself.
                out.outcome = "crashed" if crashed else "rolled_back"
                out.notes.append(f"rolled back by itself ({seen.rollback})")
                self._final(dev, out, "rolled back by itself")
                return
            try:
                # The application is up if it stays up for a moment and answers.
                seen = dev.boot.wait_for_boot(timeout=SETTLE_S)
                continue
            except Exception as exc:
                if not _is_timeout(exc):
                    raise
            try:
                first = dev.health()
                break
            except ConsoleError:
                # It went down while we asked (a slow crash): its next boot tells.
                seen = dev.boot.wait_for_boot(timeout=self.boot_timeout)
        if first is None:
            out.outcome = "crashed"
            self._final(dev, out, "kept crashing")
            return
        t0 = time.monotonic()
        for _ in range(stage.soak_boots):
            dev.ota.reboot()
            seen = dev.boot.wait_for_boot(timeout=self.boot_timeout)
            self._event(dev.id, seen.version, seen.state, "soak reboot")
            if seen.version != self.version:
                out.outcome = "rolled_back"
                self._final(dev, out, "rolled back during the soak")
                return
        if stage.soak_s:
            time.sleep(stage.soak_s)
        last = dev.health()
        elapsed = max(time.monotonic() - t0, 1e-6)
        out.drain_mv_h = (first.battery_mv - last.battery_mv) / elapsed * 3600
        out.outcome = "crashed" if crashed or last.crashes > first.crashes else "updated"
        self._final(dev, out, "soaked")

    def _final(self, dev: FleetDevice, out: DeviceOutcome, what: str) -> None:
        info = dev.boot.running()
        out.version, out.state = info.version or "", info.state
        self._event(dev.id, info.version, info.state, what)

    # -- stages ------------------------------------------------------------------------
    def _members(self, stage: Stage, taken: set[str]) -> list[str]:
        size = stage.cumulative_size(len(self.order))
        eligible = [d for d in self.order if all(self.devices[d].tags.get(k) == v for k, v in stage.tags.items())]
        wanted = max(0, size - len(taken))
        return [d for d in eligible if d not in taken][:wanted]

    def _metrics(self, members: list[str]) -> dict[str, tuple[float, list[str], int]]:
        outs = [self.outcomes[d] for d in members]
        reporting = [o for o in outs if o.outcome not in ("not_reporting", "deferred")]
        n = max(len(reporting), 1)
        crashed = [o.device for o in reporting if o.outcome == "crashed" or o.faults]
        rolled = [o.device for o in reporting if o.version != self.version and o.outcome != "update_failed"]
        failed = [o.device for o in reporting if o.outcome == "update_failed"]
        silent = [o.device for o in outs if o.outcome == "not_reporting"]
        drains = [(o.device, o.drain_mv_h, o.baseline_mv_h) for o in reporting
                  if o.drain_mv_h is not None and o.baseline_mv_h is not None]
        ratio, drainers = 0.0, []
        if drains:
            new = sum(d for _, d, _ in drains) / len(drains)
            old = max(sum(b for _, _, b in drains) / len(drains), 1e-3)
            ratio = new / old
            drainers = [dev for dev, d, b in drains if d > max(b, 1e-3) * 1.5]
        return {
            "crash_rate": (len(crashed) / n, crashed, len(reporting)),
            "rollback_rate": (len(rolled) / n, rolled, len(reporting)),
            "update_failure_rate": (len(failed) / n, failed, len(reporting)),
            "not_reporting": (len(silent) / max(len(outs), 1), silent, len(outs)),
            "battery_drain": (ratio, drainers, len(drains)),
        }

    def _tripped(self, stage: Stage, metrics) -> Trip | None:
        for trigger in self.plan.triggers:
            value, devices, counted = metrics[trigger.metric]
            if counted >= trigger.min_devices and value > trigger.threshold:
                return Trip(stage.name, trigger.metric, round(value, 4), trigger.threshold, tuple(sorted(devices)))
        return None

    def _parallel(self, fn, ids: list[str]) -> None:
        if not ids:
            return
        errors, first = [], None
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(self.workers, len(ids))) as pool:
            futures = {pool.submit(fn, self.devices[d]): d for d in ids}
            for future in concurrent.futures.as_completed(futures):
                exc = future.exception()
                if exc is not None:
                    first = first or exc
                    errors.append(f"{futures[future]}: {type(exc).__name__}: {(str(exc).splitlines() or [''])[0]}")
        if errors:
            raise HilError("the rehearsal could not drive every device: " + "; ".join(sorted(errors))) from first

    def run(self, *, baseline_s: float) -> RolloutResult:
        stages: list[StageResult] = []
        taken: set[str] = set()
        trip = None
        needs_baseline = any(t.metric == "battery_drain" for t in self.plan.triggers)
        for index, stage in enumerate(self.plan.stages):
            members = self._members(stage, taken)
            taken |= set(members)
            started = time.monotonic() - self._t0
            self._on_event(f"stage {stage.name}: {len(members)} device(s)")

            def bring_up(dev: FleetDevice) -> None:
                if index in dev.conditions.offline_stages:
                    return
                dev.start()
                out = self.outcomes[dev.id]
                info = dev.boot.running()
                out.version, out.state = info.version or "", info.state
                self.initial_version = self.initial_version or out.version
                self._event(dev.id, info.version, info.state, "up")
                if needs_baseline and dev.baseline is None:
                    dev.sample_baseline(baseline_s)

            self._parallel(bring_up, members)
            self._parallel(lambda dev: self._update_one(dev, index, stage), members)
            metrics = self._metrics(members)
            trip = self._tripped(stage, metrics)
            if trip is None:
                self._parallel(self._commit, [d for d in members if self.outcomes[d].outcome == "updated"])
            else:
                self._on_event(f"paused: {trip}")
                if self.plan.rollback_on_pause:
                    self._parallel(self._roll_back, [d for d in members if self.outcomes[d].version == self.version])
            counts: dict[str, int] = {}
            for d in members:
                counts[self.outcomes[d].outcome] = counts.get(self.outcomes[d].outcome, 0) + 1
            stages.append(StageResult(stage.name, members, counts, {k: round(v[0], 4) for k, v in metrics.items()},
                                      trip, started, time.monotonic() - self._t0))
            if trip is not None:
                break
        ran = {s.name for s in stages}
        return RolloutResult(
            image=str(self.image_path) if self.image_path else "<bytes>", version=self.version or "?",
            stages=stages, devices=self.outcomes, timeline=self.timeline, initial_version=self.initial_version,
            trip=trip, not_started=[s.name for s in self.plan.stages if s.name not in ran],
        )

    def _commit(self, dev: FleetDevice) -> None:
        dev.ota.confirm()
        out = self.outcomes[dev.id]
        self._final(dev, out, "confirmed")

    def _roll_back(self, dev: FleetDevice) -> None:
        out = self.outcomes[dev.id]
        if out.state == "CONFIRMED":
            out.notes.append("kept: confirmed before the pause")
            return
        dev.ota.mark_bad()
        seen = dev.boot.wait_for_boot(timeout=self.boot_timeout)
        out.outcome = "rolled_back" if out.outcome == "updated" else out.outcome
        out.notes.append(f"rolled back at the pause (mark-bad): runs {seen.version}")
        self._final(dev, out, "rolled back at the pause")


def _is_timeout(exc: BaseException) -> bool:
    import pexpect

    from ..console import ConsoleTimeout

    return isinstance(exc, (ConsoleTimeout, pexpect.TIMEOUT))
