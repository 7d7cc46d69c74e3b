"""Rehearse a staged rollout on a fleet of 20 emulated devices before it reaches real ones.

Each test gets 20 devices of the demo target (each its own QEMU), started
when a ring first needs them. The plan is the usual one: a canary, then a
quarter of the fleet, then everyone, with pause triggers. A good release
must reach everyone despite bad links and power cuts; a bad one must stop
itself before it spreads.

Run with:  pytest --hil examples/test_fleet_rollout.py
"""

import pytest

from pytest_iot_hil.devices.demo import demo_image
from pytest_iot_hil.fleet import FieldConditions, RolloutPlan, Stage, Trigger, assert_paused_at, assert_rollout_completed

TRIGGERS = (
    Trigger("crash_rate", 0.0),             # one crash on the new image is one too many
    Trigger("rollback_rate", 0.10),
    Trigger("update_failure_rate", 0.10),
    Trigger("battery_drain", 3.0),          # 3x the old version's drain
)
PLAN = RolloutPlan(
    stages=(Stage("canary", percent=5, soak_s=1.5), Stage("early", percent=25), Stage("everyone", percent=100)),
    triggers=TRIGGERS,
)
# Hardware revisions A, A, A, B, ... over the devices: a quarter of the fleet is rev B.
REVISIONS = {"hw_rev": ["A", "A", "A", "B"]}


@pytest.mark.hil
@pytest.mark.hil_fleet(size=20, conditions=FieldConditions(lossy_fraction=0.1, power_cuts=2, seed=7))
def test_a_good_release_reaches_everyone(fleet):
    result = fleet.rollout(PLAN, demo_image("v2", slot="B"))
    assert_rollout_completed(result)
    assert result.on_version("2.0.0") == sorted(d.id for d in fleet)      # all 20, confirmed
    assert sum(o.power_cuts for o in result.devices.values()) == 2          # and two of them lost power on the way


@pytest.mark.hil
@pytest.mark.hil_fleet(size=20, seed=7)
def test_a_crashing_release_stops_at_the_canary(fleet):
    result = fleet.rollout(PLAN, demo_image("v3-crash", slot="B"))
    assert_paused_at(result, stage="canary", trigger="crash_rate")
    canary = result.stages[0].devices
    assert all(o.stage is None for d, o in result.devices.items() if d not in canary)   # nobody else got it
    assert not result.on_version("3.0.0")                                               # the canary rolled back
    assert all(o.faults for d, o in result.devices.items() if d in canary)              # and said where it crashed


@pytest.mark.hil
@pytest.mark.hil_fleet(size=20, tags=REVISIONS, seed=7)
def test_a_release_that_fails_on_one_board_revision_stops_where_that_revision_starts(fleet):
    plan = RolloutPlan(stages=(Stage("canary", count=2, tags={"hw_rev": "A"}), Stage("early", percent=25),
                               Stage("everyone", percent=100)), triggers=TRIGGERS)
    result = fleet.rollout(plan, demo_image("v6-revb", slot="B"))
    assert_paused_at(result, stage="early", trigger="crash_rate")
    assert {result.devices[d].tags["hw_rev"] for d in result.trip.devices} == {"B"}
    assert all(result.devices[d].version == "6.0.0" for d in result.stages[0].devices)  # the rev-A canary is fine


@pytest.mark.hil
@pytest.mark.hil_fleet(size=20, seed=7)
def test_a_release_that_drains_the_battery_trips_the_battery_trigger(fleet):
    result = fleet.rollout(PLAN, demo_image("v7-drain", slot="B"))
    assert_paused_at(result, stage="canary", trigger="battery_drain")
    assert not result.on_version("7.0.0")        # rolled back through the update client at the pause
