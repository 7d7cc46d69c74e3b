"""One device of a fleet: a target with its console, update client, boot observer, agent and power.

Started lazily (the first time the rehearsal needs it) and closed with the
fleet. Everything comes from the plugin's hooks, as for a single test: the
backend's target, the device profile's client, observer and agent, the
target's power switch.
"""

from __future__ import annotations

import dataclasses
import random
import threading
import time
from pathlib import Path
from typing import Any, Mapping

from ..errors import ConsoleError
from ..firmware import FirmwareImage
from ..protocols.health import Health
from ..protocols.target import TargetDescription
from .conditions import DeviceConditions, LossyPort


class FleetDevice:
    def __init__(self, device_id: str, *, description: TargetDescription, firmware: FirmwareImage,
                 tags: Mapping[str, str], conditions: DeviceConditions, parts: Any,
                 log_path: Path | None, timeout: float) -> None:
        self.id = device_id
        self.tags = dict(tags)
        self.conditions = conditions
        self._description = dataclasses.replace(description, name=device_id)
        self._firmware = firmware
        self._parts = parts
        self._log_path = log_path
        self._timeout = timeout
        self._lock = threading.Lock()
        self.target = self.console = self.ota = self.boot = self.agent = self.power = None
        self.link: LossyPort | None = None
        self.started = False
        #: The battery at start-up and a moment later: the old version's drain (mV, device seconds).
        self.baseline: tuple[Health, float, Health, float] | None = None

    def start(self) -> None:
        """Program the factory image (personalized with the device's tags), boot it, apply the field conditions."""
        with self._lock:
            if self.started:
                return
            from ..power import Power

            self.target = self._parts.target(self._description)
            self.started = True   # from here on, close() has something to close
            self.target.start(self._firmware)
            rng = random.Random(self.conditions.seed)

            def wrap(port):
                if not self.conditions.lossy:
                    return port
                self.link = LossyPort(port, drop=self.conditions.drop, corrupt=self.conditions.corrupt, rng=rng)
                return self.link

            self.console = self._parts.console(self.target, timeout=self._timeout, log_path=self._log_path,
                                               name=f"{self.id} console", wrap=wrap)
            self.boot = self._parts.require_boot_observer(self.target, self.console)
            self.ota = self._parts.update_client(self.target, self.console)
            self.agent = self._parts.device_agent(self.target, self.console)
            self.power = Power(self._parts.power(self.target), self.target,
                               console=lambda: self.console, update_client=lambda: self.ota)
            self.boot.wait_for_boot()
            personal = self.agent.personalize(self._firmware, self.tags)
            if personal is not self._firmware:
                # The factory writes the board's identity once, then the board boots with it.
                known = {(s.address, s.data) for s in self._firmware.segments}
                for seg in personal.segments:
                    if (seg.address, seg.data) not in known:
                        self.target.write_memory(seg.address, seg.data)
                self.target.reset()
                self.boot.wait_for_boot()
            if self.conditions.battery_mv is not None:
                self.agent.set_battery(self.conditions.battery_mv)

    def health(self, attempts: int = 3) -> Health:
        """The device's metrics (asked again if the answer was lost)."""
        for attempt in range(attempts):
            try:
                return self.agent.health()
            except ConsoleError:
                if attempt == attempts - 1:
                    raise
        raise AssertionError("unreachable")

    def sample_baseline(self, window_s: float) -> None:
        """Two health readings ``window_s`` apart on the running (old) version: its battery drain."""
        first, t0 = self.health(), time.monotonic()
        time.sleep(window_s)
        self.baseline = (first, t0, self.health(), time.monotonic())

    @property
    def baseline_drain(self) -> float | None:
        """Millivolts per hour on the version the device came with."""
        if self.baseline is None:
            return None
        h0, t0, h1, t1 = self.baseline
        return (h0.battery_mv - h1.battery_mv) / max(t1 - t0, 1e-6) * 3600

    def transcript_text(self, since: int = 0) -> str:
        if self.console is None:
            return ""
        return self.console.transcript_since(since).decode("utf-8", errors="replace")

    def close(self) -> None:
        with self._lock:
            for part in (self.ota, self.console):
                if part is not None:
                    try:
                        part.close()
                    except Exception:
                        pass
            if self.power is not None:
                try:
                    self.power.switch.close()
                except Exception:
                    pass
            if self.target is not None:
                self.target.close()
            self.target = self.console = self.ota = self.boot = self.agent = self.power = None
            self.started = False

    def __repr__(self) -> str:
        return f"<FleetDevice {self.id} {self.tags} {self.conditions.describe()}>"
