"""Running a campaign without pytest's collection: for scripts, benchmarks and tests of the campaign itself.

::

    from pytest_iot_hil.campaign import Campaign
    from pytest_iot_hil.campaign.standalone import run_campaign
    from pytest_iot_hil.devices.demo import DemoOracle, DemoUpdate

    outcome = run_campaign(Campaign(procedure=DemoUpdate(), oracle=DemoOracle()), cuts="boundaries")
    print(outcome.violations())

Targets, update clients and boot observers come from the installed plugins'
hooks (:mod:`pytest_iot_hil.plugin.standalone`), as in a pytest run.
"""

from __future__ import annotations

import collections
import dataclasses
import tempfile
import time
from pathlib import Path
from typing import Callable

from ..firmware import FirmwareImage
from ..plugin.standalone import builtin_target, parts
from ..protocols.target import TargetDescription
from .cache import TraceCache
from .load import Campaign, LoadedCampaign, load_campaign
from .cuts import parse_selection
from .runner import CampaignRunner, CutResult
from .states import CutState


@dataclasses.dataclass
class CampaignOutcome:
    loaded: LoadedCampaign
    results: list[CutResult]
    load_seconds: float
    run_seconds: float

    def violations(self) -> collections.Counter:
        """Cuts with a violation, per invariant."""
        return collections.Counter(i for r in self.results for i in r.invariants)

    def errors(self) -> list[CutResult]:
        return [r for r in self.results if r.error]

    def first(self, invariant: str) -> str | None:
        """The first violation of ``invariant``, as text."""
        return next((str(v) for r in self.results for v in r.violations if v.invariant == invariant), None)


def run_campaign(
    campaign: Campaign,
    *,
    description: TargetDescription | None = None,
    cuts: str = "boundaries",
    depth: int = 1,
    cache_dir: Path | None = None,
    retry: str = "classes",
    states: Callable[[LoadedCampaign, list[CutState]], list[CutState]] | None = None,
) -> CampaignOutcome:
    """Trace (or load the cached trace), then boot every selected cut in one emulator.

    ``states`` may narrow the selection further (e.g. ``lambda loaded, s: s[:50]``).
    """
    description = description or builtin_target()
    maker = parts()
    path = campaign.firmware or description.firmware
    firmware = FirmwareImage.load(path, load_address=description.load_address) if path else None
    selection = parse_selection(cuts)
    cache = TraceCache(cache_dir or Path(tempfile.gettempdir()) / "pytest-iot-hil-campaign-cache")
    started = time.monotonic()
    loaded = load_campaign(campaign, description, firmware_sha256=firmware.sha256 if firmware else None,
                           cache=cache, open_device=maker.device_opener(description, firmware),
                           selection=selection, depth=depth)
    load_seconds = time.monotonic() - started
    chosen = loaded.states(selection, depth)
    if states is not None:
        chosen = states(loaded, chosen)
    started = time.monotonic()
    with maker.device_opener(description, firmware)() as device:
        runner = CampaignRunner(device, retry=retry)
        results = [runner.run(loaded, state) for state in chosen]
    return CampaignOutcome(loaded, results, load_seconds, time.monotonic() - started)
