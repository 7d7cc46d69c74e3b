"""Rollout plans, field conditions, the lossy link, results and the report: no emulator needed."""

from __future__ import annotations

import random
import struct
import zlib

import pytest

from pytest_iot_hil.errors import HilConfigError
from pytest_iot_hil.fleet import (FieldConditions, LossyPort, RolloutPlan, Stage, Trigger, assert_paused_at,
                                  assert_rollout_completed)
from pytest_iot_hil.fleet.fleet import _tags_of
from pytest_iot_hil.fleet.report import distribution, render_png, write_report
from pytest_iot_hil.fleet.result import DeviceOutcome, RolloutResult, StageResult, Trip


@pytest.mark.parametrize("make, message", [
    (lambda: Stage("x"), "give percent= or count=, one of them"),
    (lambda: Stage("x", percent=0), "must be above 0 and at most 100"),
    (lambda: Stage("x", count=0), "count=0 must be 1 or more"),
    (lambda: Trigger("crashes", 0.1), "choose one of crash_rate, rollback_rate"),
    (lambda: RolloutPlan(stages=()), "at least one Stage"),
    (lambda: RolloutPlan(stages=(Stage("a", percent=50), Stage("b", percent=10))), "must not fall"),
    (lambda: RolloutPlan(stages=(Stage("a", percent=5), Stage("a", percent=10))), "names must differ"),
    (lambda: FieldConditions(lossy_fraction=2), "a fraction from 0 to 1"),
    (lambda: FieldConditions(power_cuts=1, offline=1, low_battery=1).draw(["a", "b"]), "= 3 is more than the 2 devices"),
])
def test_a_broken_plan_says_what_is_wrong(make, message):
    with pytest.raises(HilConfigError, match=message):
        make()


def test_stages_are_cumulative_rings():
    assert [Stage("s", percent=p).cumulative_size(20) for p in (1, 5, 25, 100)] == [1, 1, 5, 20]
    assert Stage("s", count=3).cumulative_size(2) == 2


def test_field_conditions_are_drawn_from_the_seed():
    ids = [f"dev-{i:03d}" for i in range(20)]
    conditions = FieldConditions(lossy_fraction=0.1, power_cuts=2, offline=1, low_battery=1, seed=7)
    first, again = conditions.draw(ids), conditions.draw(ids)
    assert first == again
    assert sum(c.lossy for c in first.values()) == 2
    assert sum(c.power_cut_at is not None for c in first.values()) == 2
    assert sum(bool(c.offline_stages) for c in first.values()) == 1
    assert sum(c.battery_mv is not None for c in first.values()) == 1
    special = [c for c in first.values() if c.power_cut_at is not None or c.offline_stages or c.battery_mv]
    assert len(special) == 4   # each device meets at most one of them
    assert FieldConditions(lossy_fraction=0.1, power_cuts=2, seed=8).draw(ids) != first


def test_tags_are_cycled_over_the_devices():
    assert [_tags_of({"hw_rev": ["A", "B"], "region": "eu"}, i) for i in range(3)] == [
        {"hw_rev": "A", "region": "eu"}, {"hw_rev": "B", "region": "eu"}, {"hw_rev": "A", "region": "eu"}]
    assert _tags_of(lambda i: {"n": i}, 4) == {"n": "4"}


class _Sink:
    timeout = 0

    def __init__(self):
        self.data = b""

    def write(self, data):
        self.data += data

    def read(self, size=1):
        return b"read"


def test_the_lossy_link_drops_and_damages_what_goes_to_the_device_only():
    sink = _Sink()
    link = LossyPort(sink, drop=0.05, corrupt=0.05, rng=random.Random(1))
    payload = bytes(range(256)) * 40
    assert link.write(payload) == len(payload)
    assert link.dropped > 0 and link.corrupted > 0
    assert len(sink.data) == len(payload) - link.dropped
    assert link.read(4) == b"read"   # the device's output is left alone
    again = _Sink()
    LossyPort(again, drop=0.05, corrupt=0.05, rng=random.Random(1)).write(payload)
    assert again.data == sink.data   # the same seed damages the same bytes


def _result(trip: Trip | None = None) -> RolloutResult:
    devices = {f"dev-{i}": DeviceOutcome(f"dev-{i}", {"hw_rev": "A"}, "clean", stage="canary" if i == 1 else "all",
                                         outcome="updated", version="2.0.0", state="CONFIRMED") for i in (1, 2, 3)}
    timeline = [(0.1 * i, f"dev-{i}", "2.0.0", "CONFIRMED", "confirmed") for i in (1, 2, 3)]
    stages = [StageResult("canary", ["dev-1"], {"updated": 1}, {"crash_rate": 0.0}, None, 0.0, 0.15),
              StageResult("all", ["dev-2", "dev-3"], {"updated": 2}, {"crash_rate": 0.0}, trip, 0.15, 0.4)]
    return RolloutResult("v2.bin", "2.0.0", stages, devices, timeline, initial_version="1.0.0", trip=trip)


def test_the_assertions_explain_themselves():
    good = _result()
    assert_rollout_completed(good)
    with pytest.raises(AssertionError, match=r"did not pause \(expected at 'canary'\): it reached 'all'"):
        assert_paused_at(good, stage="canary")
    trip = Trip("all", "crash_rate", 0.5, 0.0, ("dev-2",))
    paused = _result(trip)
    assert_paused_at(paused, stage="all", trigger="crash_rate")
    with pytest.raises(AssertionError, match=r"paused: crash_rate 50% > 0% in stage 'all' \(devices: dev-2\)"):
        assert_rollout_completed(paused)
    with pytest.raises(AssertionError, match="paused at 'all' by crash_rate, expected 'canary'"):
        assert_paused_at(paused, stage="canary")


def test_the_report_shows_versions_over_time_and_the_pause(tmp_path):
    result = _result(Trip("all", "crash_rate", 0.5, 0.0, ("dev-2",)))
    columns, end = distribution(result, 4)
    assert columns[0] == {"1.0.0": 2, "2.0.0": 1} and columns[-1] == {"2.0.0": 3} and end == pytest.approx(0.4)
    png = render_png(result, width=40, height=10)
    assert png.startswith(b"\x89PNG") and struct.unpack(">II", png[16:24]) == (40, 10)
    raw = zlib.decompress(png[png.index(b"IDAT") + 4:-16])
    assert bytes((219, 68, 55)) in raw   # the pause is drawn
    html = write_report(result, tmp_path / "r", title="t").read_text()
    assert "Paused" in html and "crash_rate 50%" in html and "data:image/png;base64," in html
    assert (tmp_path / "r.png").is_file()
