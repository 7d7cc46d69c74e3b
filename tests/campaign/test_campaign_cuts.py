"""Cut selection (all / boundaries / sample) and the trace cache, without an emulator."""

from __future__ import annotations

import threading
import time

import pytest
from campaign_flashsim import SimFlash, sample_update

from pytest_iot_hil.campaign.cache import TraceCache, trace_from_bytes, trace_to_bytes
from pytest_iot_hil.campaign.cuts import (
    DEFAULT_SEED, Selection, boundary_ops, depth2_candidates, parse_selection, select,
)
from pytest_iot_hil.campaign.errors import CampaignConfigError
from pytest_iot_hil.campaign.states import StateSpace
from pytest_iot_hil.campaign.trace import Mark, Trace, check_consistent, watched_regions
from pytest_iot_hil.errors import HilConfigError
from pytest_iot_hil.protocols.target import MemoryRegion, TargetDescription


def long_update() -> tuple[bytes, list, list[Mark]]:
    """Three records around 8 KiB of slot data: enough ops for every selection rule."""
    sim = SimFlash()
    initial = sim.image
    sim.program(0x1000, b"\x01" * 64)  # BEGIN record: 8 units
    for sector in (0x5000, 0x6000):
        sim.erase(sector)
        sim.program(sector, bytes((i * 7) & 0xFE for i in range(0x1000)))
    sim.program(0x1040, b"\x02" * 64)  # ACTIVATE record
    marks = [Mark("activated", len(sim.writes))]
    sim.program(0x1080, b"\x03" * 64)  # CONFIRM record
    marks.append(Mark("confirm_acked", len(sim.writes)))
    return initial, sim.writes, marks


@pytest.fixture(scope="module")
def space():
    initial, writes, marks = long_update()
    space = StateSpace.from_writes(initial, 0, writes)
    space.marks = marks
    return space


@pytest.mark.parametrize("text, expected", [
    ("all", Selection("all")),
    ("boundaries", Selection("boundaries")),
    (" Boundaries ", Selection("boundaries")),
    ("sample:50", Selection("sample", 50, DEFAULT_SEED)),
    ("sample:50:7", Selection("sample", 50, 7)),
])
def test_parse_selection(text, expected):
    assert parse_selection(text) == expected
    assert parse_selection(str(expected)) == expected


@pytest.mark.parametrize("text", ["", "some", "sample", "sample:0", "sample:x", "sample:5:y", "sample:1:2:3"])
def test_bad_selection_says_what_is_allowed(text):
    with pytest.raises(CampaignConfigError) as err:
        parse_selection(text)
    assert isinstance(err.value, HilConfigError)
    assert "all" in str(err.value) and "boundaries" in str(err.value) and "sample:N" in str(err.value)


def test_all_is_every_distinct_state(space):
    assert select(space, Selection("all")) == space.states


def test_boundaries_rules(space):
    ops = space.ops
    chosen = boundary_ops(space, space.marks, ("journal",))
    journal = {op.index for op in ops if op.region == "journal"}
    erases = {op.index for op in ops if op.kind == "erase"}
    assert journal <= chosen and erases <= chosen
    assert len(ops) in chosen  # the end of the procedure
    for sector in (0x5000, 0x6000):
        in_sector = [op.index for op in ops if op.sector == sector and op.kind != "noop"]
        assert in_sector[0] in chosen and in_sector[-1] in chosen
        assert not set(in_sector[2:-2]) & chosen, "the middle of a sector's data is not a boundary"
    for mark in space.marks:
        after = space.op_of_store(mark.index)
        assert {after - 1, after, after + 1} & set(range(len(ops) + 1)) <= chosen
    states = select(space, Selection("boundaries"), space.marks)
    assert [s.id for s in states] == [s.id for s in space.states if s.id in {x.id for x in states}]  # timeline order
    assert any(s.variant == "torn" and s.region == "journal" for s in states)
    assert len(states) < len(space.states) / 4


def test_boundaries_use_the_critical_regions_given(space):
    without = boundary_ops(space, (), ())
    journal = {op.index for op in space.ops if op.region == "journal"}
    assert not journal <= without


def test_sample_is_fixed_by_its_seed(space):
    a = select(space, parse_selection("sample:20"))
    b = select(space, parse_selection("sample:20"))
    c = select(space, parse_selection("sample:20:99"))
    assert len(a) == 20 and a == b and a != c
    assert [s.id for s in a] == sorted((s.id for s in a), key=lambda i: [s.id for s in space.states].index(i))
    assert select(space, parse_selection(f"sample:{len(space.states) + 5}")) == space.states


def test_depth2_candidates_are_selected_boundary_cuts(space):
    everything = select(space, Selection("all"))
    boundary = {s.id for s in select(space, Selection("boundaries"), space.marks)}
    candidates = depth2_candidates(space, everything, space.marks, ("journal",))
    assert {s.id for s in candidates} == boundary
    sample = select(space, parse_selection("sample:30:3"))
    assert {s.id for s in depth2_candidates(space, sample, space.marks, ("journal",))} == boundary & {s.id for s in sample}


# -- the trace ------------------------------------------------------------------------


def test_watched_regions_fill_the_gaps_of_the_flash_map():
    description = TargetDescription(
        name="t", backend="qemu", firmware=None, flash=MemoryRegion("flash", 0, 0x10000),
        regions=(MemoryRegion("journal", 0x1000, 0x1000), MemoryRegion("slot", 0x4000, 0x4000)),
    )
    got = [(r.name, r.start, r.size) for r in watched_regions(description)]
    assert got == [("flash", 0, 0x1000), ("journal", 0x1000, 0x1000), ("flash", 0x2000, 0x2000),
                   ("slot", 0x4000, 0x4000), ("flash", 0x8000, 0x8000)]


def test_a_trace_that_does_not_fit_its_initial_flash_is_refused():
    initial, writes, _ = sample_update()
    check_consistent(initial, 0, writes)
    other = bytearray(initial)
    other[0x1000] = 0
    with pytest.raises(Exception, match="flash changed outside the watch"):
        check_consistent(bytes(other), 0, writes)


def test_trace_round_trips_through_the_cache(tmp_path):
    initial, writes, marks = long_update()
    trace = Trace(0, initial, tuple(writes), tuple(marks), 1.5)
    assert trace_from_bytes(trace_to_bytes(trace)) == trace
    cache = TraceCache(tmp_path)
    assert cache.load_trace("k") is None
    cache.save_trace("k", trace)
    assert cache.load_trace("k") == trace
    cache.save_recovery("k", {"cut-0001-x": tuple(writes[:3])})
    assert cache.load_recovery("k") == {"cut-0001-x": tuple(writes[:3])}


def test_a_damaged_cache_file_is_recorded_again(tmp_path):
    cache = TraceCache(tmp_path)
    (tmp_path / "k.trace").write_bytes(b"not a trace")
    assert cache.load_trace("k") is None
    assert not (tmp_path / "k.trace").exists()


def test_the_lock_lets_one_process_record_while_the_others_wait(tmp_path):
    # flock locks belong to open file descriptions, so two threads with their
    # own open() behave like two xdist workers.
    cache = TraceCache(tmp_path)
    events = []

    def worker(name: str) -> None:
        with cache.locked("k"):
            events.append(("in", name))
            time.sleep(0.2)
            events.append(("out", name))

    threads = [threading.Thread(target=worker, args=(n,)) for n in "ab"]
    for t in threads:
        t.start()
        time.sleep(0.05)
    for t in threads:
        t.join()
    assert [e[0] for e in events] == ["in", "out", "in", "out"]
