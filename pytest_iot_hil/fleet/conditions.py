"""Field conditions, drawn reproducibly from a seed: what the field does to a fleet's devices.

* a lossy link: bytes on the way to the device dropped or corrupted (by
  :class:`LossyPort`, between the console and the emulator's UART);
* power lost at a random moment of an update (a real cut through the power
  protocol, after a random number of update bytes);
* a device offline for a stage (it does not report; it is not updated);
* a low battery (set through the device agent before the rollout).
"""

from __future__ import annotations

import dataclasses
import random
from typing import Any, Sequence

from ..errors import HilConfigError


@dataclasses.dataclass(frozen=True)
class DeviceConditions:
    """What the field does to one device."""

    #: Probability that a byte sent to the device is dropped, and that one is corrupted (0: a clean link).
    drop: float = 0.0
    corrupt: float = 0.0
    #: Cut power after this fraction of the update's bytes (0 < f < 1), once, at the first update.
    power_cut_at: float | None = None
    #: Stage indices in which the device does not report.
    offline_stages: frozenset[int] = frozenset()
    #: The battery at the start, in millivolts (``None``: as the device comes up).
    battery_mv: int | None = None
    #: Seed of this device's own link randomness.
    seed: int = 0

    @property
    def lossy(self) -> bool:
        return self.drop > 0 or self.corrupt > 0

    def describe(self) -> str:
        parts = []
        if self.lossy:
            parts.append(f"lossy link (drop {self.drop:g}, corrupt {self.corrupt:g})")
        if self.power_cut_at is not None:
            parts.append(f"power cut at {self.power_cut_at:.0%} of the update")
        if self.offline_stages:
            parts.append(f"offline in stage(s) {', '.join(str(s) for s in sorted(self.offline_stages))}")
        if self.battery_mv is not None:
            parts.append(f"battery {self.battery_mv} mV")
        return "; ".join(parts) or "clean"


@dataclasses.dataclass(frozen=True)
class FieldConditions:
    """How many devices meet which condition; who they are is drawn from ``seed``.

    Fractions are of the fleet; counts are devices.
    """

    lossy_fraction: float = 0.0
    #: Per byte sent to a lossy device: the update protocol has to notice and send again.
    drop: float = 0.000025
    corrupt: float = 0.000025
    power_cuts: int = 0
    offline: int = 0
    #: Stage index in which the ``offline`` devices do not report.
    offline_stage: int = 1
    low_battery: int = 0
    low_battery_mv: int = 3300
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0 <= self.lossy_fraction <= 1:
            raise HilConfigError(f"FieldConditions(lossy_fraction={self.lossy_fraction}): a fraction from 0 to 1")
        for name in ("drop", "corrupt"):
            if not 0 <= getattr(self, name) < 0.5:
                raise HilConfigError(f"FieldConditions({name}={getattr(self, name)}): a probability below 0.5")
        for name in ("power_cuts", "offline", "low_battery"):
            if getattr(self, name) < 0:
                raise HilConfigError(f"FieldConditions({name}={getattr(self, name)}): a count of devices, 0 or more")

    def draw(self, device_ids: Sequence[str]) -> dict[str, DeviceConditions]:
        """Each device's conditions: the same seed and ids give the same draw."""
        rng = random.Random(f"field-conditions:{self.seed}")
        ids = list(device_ids)
        n = len(ids)
        wanted = self.power_cuts + self.offline + self.low_battery
        if wanted > n:
            raise HilConfigError(f"FieldConditions: power_cuts + offline + low_battery = {wanted} is more than the "
                                 f"{n} devices (each device meets at most one of them)")
        lossy = set(rng.sample(ids, round(self.lossy_fraction * n)))
        # Disjoint: a device that is offline is not also the one that loses power.
        pool = list(ids)
        picked = []
        for count in (self.power_cuts, self.offline, self.low_battery):
            chosen = rng.sample(pool, count)
            pool = [i for i in pool if i not in chosen]
            picked.append(chosen)
        cuts = {i: rng.uniform(0.2, 0.8) for i in picked[0]}
        offline, low = set(picked[1]), set(picked[2])
        out: dict[str, DeviceConditions] = {}
        for i in ids:
            out[i] = DeviceConditions(
                drop=self.drop if i in lossy else 0.0,
                corrupt=self.corrupt if i in lossy else 0.0,
                power_cut_at=cuts.get(i),
                offline_stages=frozenset({self.offline_stage}) if i in offline else frozenset(),
                battery_mv=self.low_battery_mv if i in low else None,
                seed=rng.getrandbits(32),
            )
        return out


class LossyPort:
    """A pyserial-like port whose writes lose or damage bytes, as a bad radio link would.

    Only what goes to the device is touched: damaged console output would
    hide the device's boot reports, and the rehearsal would count it as not
    reporting rather than as a slow update. Each byte's fate is drawn from the
    device's own seeded generator, in order.
    """

    def __init__(self, port: Any, *, drop: float, corrupt: float, rng: random.Random) -> None:
        self.port = port
        self._drop, self._corrupt, self._rng = drop, corrupt, rng
        self.dropped = self.corrupted = 0

    @property
    def timeout(self):
        return self.port.timeout

    @timeout.setter
    def timeout(self, value) -> None:
        self.port.timeout = value

    def read(self, size: int = 1) -> bytes:
        return self.port.read(size)

    def write(self, data: bytes) -> int:
        out = bytearray()
        for byte in bytes(data):
            roll = self._rng.random()
            if roll < self._drop:
                self.dropped += 1
                continue
            if roll < self._drop + self._corrupt:
                self.corrupted += 1
                byte ^= 1 << self._rng.randrange(8)
            out.append(byte)
        self.port.write(bytes(out))
        return len(data)

    def reset_input_buffer(self) -> None:
        self.port.reset_input_buffer()

    def close(self) -> None:
        self.port.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.port, name)
