"""A campaign: what to update and how to judge it, and its loaded trace and states.

:class:`Campaign` is plain configuration (the procedure, the oracle, the
critical regions). :func:`load_campaign` turns it into a
:class:`LoadedCampaign`: the trace (recorded once, cached on disk), the
state space of first cuts and, for depth 2, the traced recovery boots and
their second cuts.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import inspect
import json
from pathlib import Path
from typing import Any, Callable, ContextManager, Sequence

from ..protocols.flash import FlashWrite
from ..errors import HilError
from ..protocols.target import TargetDescription
from .cache import TraceCache
from .cuts import Selection, depth2_candidates, select
from .errors import CampaignConfigError, CampaignError, TraceError
from .oracle import Oracle
from .ops import FlashGeometry
from .states import CutState, StateSpace, group_ops
from .trace import Device, Mark, Procedure, Trace, record_recovery_boot, record_trace

#: Opens a started target (booting the campaign's firmware) as a Device; closes it on exit.
DeviceOpener = Callable[[], ContextManager[Device]]


def callable_identity(fn: object) -> str:
    """A stable name for a procedure: its qualified name and a hash of its source.

    An object may say it better with a ``campaign_key`` attribute (e.g. the
    demo profile's ``DemoUpdate`` names its image's SHA-256).
    """
    key = getattr(fn, "campaign_key", None)
    if key is not None:
        return str(key() if callable(key) else key)
    if isinstance(fn, functools.partial):
        return f"partial({callable_identity(fn.func)}, {fn.args!r}, {sorted(fn.keywords.items())!r})"
    target = fn if inspect.isfunction(fn) or inspect.ismethod(fn) else type(fn)
    name = f"{getattr(target, '__module__', '?')}.{getattr(target, '__qualname__', repr(target))}"
    try:
        source = inspect.getsource(target)
    except (OSError, TypeError):
        source = ""
    return f"{name}:{hashlib.sha256(source.encode()).hexdigest()[:16]}"


@dataclasses.dataclass
class Campaign:
    """A power-cut campaign: run ``procedure`` once, cut power everywhere, judge with ``oracle``.

    ``retry`` re-runs the update from a booted cut state (I10); it defaults to
    ``procedure.retry`` when the procedure has one, else the procedure itself.
    ``critical_regions`` are where every write is a ``boundaries`` cut.
    ``firmware`` overrides the run's firmware for the trace (e.g. a build variant).
    """

    procedure: Procedure
    oracle: Oracle
    retry: Procedure | None = None
    critical_regions: tuple[str, ...] = ("journal",)
    geometry: FlashGeometry = FlashGeometry()
    seed: int = 1
    firmware: Path | None = None
    name: str | None = None

    def __post_init__(self) -> None:
        if not callable(self.procedure):
            raise CampaignConfigError(f"procedure must be callable as procedure(device), not {self.procedure!r}")
        if not isinstance(self.oracle, Oracle):
            raise CampaignConfigError(
                f"oracle must be an instance of pytest_iot_hil.campaign.Oracle (your own subclass, or a device profile's), not {self.oracle!r}"
            )
        if self.retry is None:
            self.retry = getattr(self.procedure, "retry", self.procedure)
        self.critical_regions = tuple(self.critical_regions)
        if self.firmware is not None:
            self.firmware = Path(self.firmware)

    def key(self, description: TargetDescription, firmware_sha256: str | None) -> str:
        """The trace cache key: target, flash map, firmware, procedure, flash rules."""
        flash = description.flash
        doc = {
            "format": 1,
            "target": description.name,
            "backend": description.backend,
            "flash": [flash.start, flash.size] if flash else None,
            "regions": [[r.name, r.start, r.size] for r in description.regions],
            "firmware": firmware_sha256,
            "procedure": callable_identity(self.procedure),
            "oracle": self.oracle.identity(),
            "geometry": dataclasses.astuple(self.geometry),
        }
        digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()[:20]
        return f"{self.label}-{digest}"

    @property
    def label(self) -> str:
        name = self.name or getattr(self.procedure, "__name__", type(self.procedure).__name__)
        return "".join(c if c.isalnum() or c in "-_" else "_" for c in name)[:40]


@dataclasses.dataclass
class LoadedCampaign:
    """A campaign with its trace and states, ready to run cuts."""

    campaign: Campaign
    description: TargetDescription
    key: str
    trace: Trace
    space: StateSpace
    #: Second-cut state spaces, by first-cut id (depth 2 only).
    second: dict[str, StateSpace] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self._prepared = False
        #: What ``oracle.prepare`` returned for this campaign (``CutContext.prepared``).
        self.prepared: Any = None

    @property
    def oracle(self) -> Oracle:
        return self.campaign.oracle

    def prepare_oracle(self) -> None:
        """Let the oracle precompute from the trace (once per loaded campaign).

        Its result is kept here, with the campaign, not on the oracle (which
        other campaigns may share). Any failure becomes a :class:`CampaignError`
        naming the oracle.
        """
        if self._prepared:
            return
        try:
            self.prepared = self.oracle.prepare(self)
        except HilError as exc:
            raise CampaignError(f"{type(self.oracle).__name__}.prepare() failed: {exc}") from exc
        except Exception as exc:
            detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
            raise CampaignError(f"{type(self.oracle).__name__}.prepare() failed: {type(exc).__name__}: {detail}") from exc
        self._prepared = True

    def first_cuts(self, selection: Selection) -> list[CutState]:
        return select(self.space, selection, self.trace.marks, self.campaign.critical_regions)

    def depth2_candidates(self, selection: Selection) -> list[CutState]:
        return depth2_candidates(self.space, self.first_cuts(selection), self.trace.marks,
                                 self.campaign.critical_regions)

    def states(self, selection: Selection, depth: int = 1) -> list[CutState]:
        """The states to boot, in timeline order (second cuts right after their first cut)."""
        out: list[CutState] = []
        for state in self.first_cuts(selection):
            out.append(state)
            if depth >= 2 and state.id in self.second:
                out.extend(self.second[state.id].states)
        return out

    def space_of(self, state: CutState) -> StateSpace:
        if state.parent is None:
            return self.space
        return self.second[state.parent]

    def state(self, cut_id: str) -> CutState:
        if cut_id in self.space.by_id:
            return self.space.by_id[cut_id]
        for space in self.second.values():
            if cut_id in space.by_id:
                return space.by_id[cut_id]
        raise KeyError(f"no cut {cut_id!r} in campaign {self.key}")

    def image(self, state: CutState) -> bytes:
        return self.space_of(state).image(state)

    def first_cut_of(self, state: CutState) -> CutState:
        return self.space.by_id[state.parent] if state.parent else state

    def marks_before(self, state: CutState) -> tuple[Mark, ...]:
        """Marks set before the cut (for a second cut: before its first cut)."""
        first = self.first_cut_of(state)
        return tuple(m for m in self.trace.marks if m.index <= first.stores_done)

    def timeline(self) -> dict:
        """What the report needs beyond the per-cut outcomes: ops, region order, marks."""
        return {
            "key": self.key,
            "ops": [[op.kind, op.region] for op in self.space.ops],
            "regions": [r.name for r in sorted(self.description.regions, key=lambda r: r.start)] + ["flash"],
            "marks": [[m.name, self.space.op_of_store(m.index)] for m in self.trace.marks],
            "stores": len(self.trace.writes),
            "invariants": dict(self.oracle.invariants),
        }


def _space(trace: Trace, campaign: Campaign) -> StateSpace:
    return StateSpace.from_writes(trace.initial, trace.flash_start, trace.writes,
                                  geometry=campaign.geometry, seed=campaign.seed)


def _second_space(loaded: LoadedCampaign, first: CutState, writes: Sequence[FlashWrite]) -> StateSpace:
    campaign = loaded.campaign
    return StateSpace(
        loaded.image(first), loaded.trace.flash_start, group_ops(writes, campaign.geometry),
        total_stores=len(writes), geometry=campaign.geometry, seed=campaign.seed,
        prefix=f"{first.id}-then", depth=2, parent=first.id, include_start=False,
    )


def load_campaign(
    campaign: Campaign,
    description: TargetDescription,
    *,
    firmware_sha256: str | None,
    cache: TraceCache,
    open_device: DeviceOpener,
    selection: Selection,
    depth: int = 1,
    run_id: str | None = None,
) -> LoadedCampaign:
    """The campaign's trace (recorded on first use, under the cache lock), its states, the oracle prepared.

    A failure to record is cached under the same lock for ``run_id`` (the
    pytest run: xdist workers share it), so the other processes of the run
    raise the same error instead of recording again; a later run records anew.
    """
    if depth not in (1, 2):
        raise CampaignConfigError(f"depth must be 1 or 2, not {depth!r}")
    for name in campaign.critical_regions:
        try:
            description.region(name)
        except KeyError as exc:
            raise CampaignConfigError(f"critical region {name!r}: {exc.args[0]}") from None
    key = campaign.key(description, firmware_sha256)
    with contextlib.ExitStack() as stack:
        device: Device | None = None

        def get_device() -> Device:
            nonlocal device
            if device is None:
                device = stack.enter_context(open_device())
                campaign.oracle.wait_booted(device)
            return device

        with cache.locked(key):
            failed = cache.load_error(key, run_id)
            if failed is not None:
                raise TraceError(failed)
            try:
                loaded = _load_locked(campaign, description, key, cache, get_device, selection, depth)
            except HilError as exc:
                cache.save_error(key, run_id, str(exc))
                raise
    loaded.prepare_oracle()
    return loaded


def _load_locked(campaign: Campaign, description: TargetDescription, key: str, cache: TraceCache,
                 get_device: Callable[[], Device], selection: Selection, depth: int) -> LoadedCampaign:
    trace = cache.load_trace(key)
    if trace is None:
        trace = record_trace(get_device(), campaign.procedure)
        if not trace.writes:
            raise TraceError(
                "the update procedure wrote nothing to flash: nothing to cut. Check that it really "
                "updates the device, and that the target's regions cover its flash"
            )
        cache.save_trace(key, trace)
    loaded = LoadedCampaign(campaign, description, key, trace, _space(trace, campaign))
    if depth >= 2:
        boots = cache.load_recovery(key)
        missing = [s for s in loaded.depth2_candidates(selection) if s.id not in boots]
        for state in missing:
            boots[state.id] = record_recovery_boot(get_device(), loaded.image(state), campaign.oracle.wait_booted)
        if missing:
            cache.save_recovery(key, boots)
        for state in loaded.depth2_candidates(selection):
            if boots.get(state.id):
                loaded.second[state.id] = _second_space(loaded, state, boots[state.id])
    return loaded
