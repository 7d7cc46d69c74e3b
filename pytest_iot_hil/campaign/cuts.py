"""Which cut states a campaign boots.

* ``all``             - every distinct state: before each op, and torn inside it;
* ``boundaries``      - the states where bugs live (default): every op in a
                        *critical* region (the journal) with its torn states,
                        every erase with its torn states, the first and last
                        op of each sector, the ops right before and after each
                        mark, and the end of the procedure;
* ``sample:N[:SEED]`` - N distinct states drawn from ``all`` with a fixed seed
                        (:data:`DEFAULT_SEED` unless given), in timeline order.

Depth 2 adds *second* cuts during the recovery boot of a first cut. Which
first cuts get them: those of the ``boundaries`` set (that are also
selected) whose recovery boot writes anything; every op of that boot gets a
second cut, torn ones included. The states themselves come from
:class:`~pytest_iot_hil.campaign.states.StateSpace`.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Iterable, Sequence

from .errors import CampaignConfigError
from .ops import ERASE, NOOP
from .states import CutState, StateSpace
from .trace import Mark

ALL, BOUNDARIES, SAMPLE = "all", "boundaries", "sample"
DEFAULT_SEED = 20240607
DEFAULT_CUTS = BOUNDARIES


@dataclasses.dataclass(frozen=True)
class Selection:
    kind: str
    n: int = 0
    seed: int = DEFAULT_SEED

    def __str__(self) -> str:
        if self.kind != SAMPLE:
            return self.kind
        return f"{SAMPLE}:{self.n}" + (f":{self.seed}" if self.seed != DEFAULT_SEED else "")


def parse_selection(text: str) -> Selection:
    """``all``, ``boundaries`` or ``sample:N[:SEED]``."""
    value = str(text).strip().lower()
    if value in (ALL, BOUNDARIES):
        return Selection(value)
    parts = value.split(":")
    if parts[0] == SAMPLE and len(parts) in (2, 3):
        try:
            n = int(parts[1])
            seed = int(parts[2]) if len(parts) == 3 else DEFAULT_SEED
        except ValueError:
            n = -1
            seed = DEFAULT_SEED
        if n > 0:
            return Selection(SAMPLE, n, seed)
    raise CampaignConfigError(
        f"cuts = {text!r} is not a cut selection: use `all`, `boundaries`, or `sample:N` / `sample:N:SEED` "
        "with N a positive and SEED a whole number (e.g. --hil-campaign-cuts sample:200)"
    )


def boundary_ops(space: StateSpace, marks: Iterable[Mark], critical_regions: Sequence[str]) -> set[int]:
    """Op indices whose cut (and torn states) the ``boundaries`` selection takes."""
    ops = space.ops
    chosen: set[int] = {len(ops)}  # the end: everything written, then power lost
    first_last: dict[tuple[str, int], list[int]] = {}
    for op in ops:
        if op.kind == NOOP:
            continue
        if op.region in critical_regions or op.kind == ERASE:
            chosen.add(op.index)
        first_last.setdefault((op.region, op.sector), []).append(op.index)
    for indices in first_last.values():
        chosen.update((indices[0], indices[-1]))
    for mark in marks:
        # The op holding the mark's last store, the one after it, and the cuts around both.
        after = space.op_of_store(mark.index)
        for k in (after - 1, after, after + 1):
            if 0 <= k <= len(ops):
                chosen.add(k)
    return chosen


def states_of_ops(space: StateSpace, op_indices: Iterable[int]) -> list[CutState]:
    """The distinct states of cuts before, and torn inside, the given ops (timeline order)."""
    ids: set[str] = set()
    for k in op_indices:
        if space.boundary_ids[k]:
            ids.add(space.boundary_ids[k])
        if k < len(space.ops):
            ids.update(space.torn_ids[k])
    return [s for s in space.states if s.id in ids]


def select(space: StateSpace, selection: Selection, marks: Iterable[Mark] = (),
           critical_regions: Sequence[str] = ("journal",)) -> list[CutState]:
    """The states ``selection`` picks from ``space``, in timeline order."""
    if selection.kind == ALL:
        return list(space.states)
    if selection.kind == BOUNDARIES:
        return states_of_ops(space, boundary_ops(space, marks, critical_regions))
    rng = random.Random(f"{selection.seed}")
    if selection.n >= len(space.states):
        return list(space.states)
    chosen = set(rng.sample(range(len(space.states)), selection.n))
    return [s for i, s in enumerate(space.states) if i in chosen]


def depth2_candidates(space: StateSpace, selected: Sequence[CutState], marks: Iterable[Mark],
                      critical_regions: Sequence[str]) -> list[CutState]:
    """First cuts that may get second cuts: selected and in ``boundaries``."""
    boundary = {s.id for s in states_of_ops(space, boundary_ops(space, marks, critical_regions))}
    return [s for s in selected if s.id in boundary]
