"""A fleet of emulated devices and its staged-rollout rehearsals (the ``fleet`` fixture's object).

Plain Python works too::

    from pytest_iot_hil.plugin.standalone import hil_parts
    with Fleet(parts=..., description=..., firmware=..., size=20, tags={"hw_rev": ["A", "B"]}) as fleet:
        result = fleet.rollout(plan, image)
"""

from __future__ import annotations

import concurrent.futures
import os
import random
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

from ..errors import HilConfigError
from ..firmware import FirmwareImage
from ..protocols.target import TargetDescription
from .conditions import FieldConditions
from .device import FleetDevice
from .plan import RolloutPlan
from .result import RolloutResult
from .rollout import Rehearsal

Tags = Mapping[str, "str | Sequence[str]"] | Callable[[int], Mapping[str, str]]


def _tags_of(tags: Tags | None, index: int) -> dict[str, str]:
    if tags is None:
        return {}
    if callable(tags):
        return {str(k): str(v) for k, v in tags(index).items()}
    out = {}
    for key, values in tags.items():
        if isinstance(values, str):
            out[key] = values
        else:
            values = list(values)
            if not values:
                raise HilConfigError(f"fleet tags: {key!r} has no values")
            out[key] = str(values[index % len(values)])  # cycled over the devices, in order
    return out


class Fleet:
    """``size`` devices of one target, each its own emulator, started when first needed."""

    def __init__(self, *, parts: Any, description: TargetDescription, firmware: FirmwareImage | None, size: int,
                 tags: Tags | None = None, conditions: FieldConditions | None = None, seed: int = 0,
                 log_dir: Path | None = None, timeout: float = 10.0, workers: int | None = None,
                 name: str = "fleet") -> None:
        if firmware is None:
            raise HilConfigError(f"a fleet needs the target's firmware: target {description.name!r} has none "
                                 "(set `firmware` in the inventory or pass --hil-firmware)")
        if not 1 <= size <= 1000:
            raise HilConfigError(f"fleet size {size}: from 1 to 1000 devices")
        self.name = name
        self.seed = seed
        self.conditions = conditions or FieldConditions(seed=seed)
        ids = [f"dev-{i + 1:03d}" for i in range(size)]
        drawn = self.conditions.draw(ids)
        self._log_dir = log_dir
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
        self.devices = [
            FleetDevice(dev_id, description=description, firmware=firmware, tags=_tags_of(tags, i),
                        conditions=drawn[dev_id], parts=parts,
                        log_path=(log_dir / f"{dev_id}.log") if log_dir else None, timeout=timeout)
            for i, dev_id in enumerate(ids)
        ]
        #: The order rings take devices in, drawn from the seed (the canary is not always dev-001).
        self.order = list(ids)
        random.Random(f"fleet-order:{seed}").shuffle(self.order)
        self.workers = workers or min(size, max(4, (os.cpu_count() or 2) * 4))
        self.timeout = timeout
        self.results: list[RolloutResult] = []

    def __len__(self) -> int:
        return len(self.devices)

    def __iter__(self):
        return iter(self.devices)

    def __getitem__(self, device_id: str) -> FleetDevice:
        for dev in self.devices:
            if dev.id == device_id:
                return dev
        raise KeyError(device_id)

    @property
    def started(self) -> list[str]:
        return [d.id for d in self.devices if d.started]

    def rollout(self, plan: RolloutPlan, image: Path | str | bytes, *, baseline_s: float = 1.0,
                on_event: Callable[[str], None] | None = None) -> RolloutResult:
        """Rehearse ``plan`` with ``image``: see :mod:`pytest_iot_hil.fleet.rollout`."""
        image = Path(image) if isinstance(image, str) else image
        rehearsal = Rehearsal(self.devices, self.order, plan, image, workers=self.workers,
                              boot_timeout=max(15.0, self.timeout), on_event=on_event)
        result = rehearsal.run(baseline_s=baseline_s)
        if self._log_dir is not None:
            from .report import write_report

            result.report = str(write_report(result, self._log_dir / f"rollout-{len(self.results) + 1}",
                                             title=f"{self.name}: rollout of {result.version}"))
        self.results.append(result)
        return result

    def close(self) -> None:
        """Stop every device's emulator (in parallel); safe to call twice."""
        started = [d for d in self.devices if d.target is not None]
        if not started:
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=min(16, len(started))) as pool:
            list(pool.map(lambda d: d.close(), started))

    def __enter__(self) -> "Fleet":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
