"""Rehearsals on fleets of real QEMU devices: the examples, reproducibility, field conditions, clean-up."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_iot_hil.devices.demo import demo_image
from pytest_iot_hil.fleet import FieldConditions, RolloutPlan, Stage, Trigger

pytestmark = [pytest.mark.hil, pytest.mark.needs_qemu]

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PLAN = RolloutPlan(stages=(Stage("canary", percent=20), Stage("everyone", percent=100)),
                   triggers=(Trigger("crash_rate", 0.0), Trigger("not_reporting", 0.5)), min_battery_mv=3500)


def _cases(path: Path) -> dict[tuple[str, str], tuple[str, dict[str, str]]]:
    """(test, case name) -> (outcome, properties) of a JUnit file."""
    import xml.etree.ElementTree as ET

    cases = {}
    for tc in ET.parse(path).getroot().iter("testcase"):
        outcome = "skipped" if tc.find("skipped") is not None else (
            "failed" if tc.find("failure") is not None or tc.find("error") is not None else "passed")
        props = {p.get("name"): p.get("value") for p in tc.iter("property")}
        cases[(tc.get("classname").rsplit(".", 1)[-1], tc.get("name"))] = (outcome, props)
    return cases


def test_the_four_example_rehearsals_pass_with_a_stage_per_test_case(pytester):
    """examples/test_fleet_rollout.py, 20 devices each, under two xdist workers: every stage in the JUnit file."""
    (pytester.path / "test_fleet_rollout.py").write_text((EXAMPLES / "test_fleet_rollout.py").read_text())
    result = pytester.runpytest("--hil", "-n", "2", "--junitxml=report.xml", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*4 passed, 12 stages*"])
    cases = _cases(pytester.path / "report.xml")
    outcome, props = cases[("test_a_good_release_reaches_everyone", "stage[everyone]")]
    assert outcome == "passed" and props["hil_stage_devices"] == "15"
    assert all(v.startswith("updated; runs 2.0.0 CONFIRMED") for k, v in props.items() if k.startswith("hil_device_"))
    outcome, props = cases[("test_a_crashing_release_stops_at_the_canary", "stage[canary]")]
    assert "crash_rate 100% > 0% in stage 'canary'" in props["hil_stage_paused"]
    assert any("HardFault at pc=0x" in v and "main.c:" in v for k, v in props.items() if k.startswith("hil_device_"))
    assert cases[("test_a_crashing_release_stops_at_the_canary", "stage[everyone]")][0] == "skipped"
    _, props = cases[("test_a_release_that_fails_on_one_board_revision_stops_where_that_revision_starts",
                      "stage[early]")]
    assert any("sensor_init_rev" in v for k, v in props.items() if k.startswith("hil_device_"))
    reports = list((pytester.path / "hil-logs").glob("*-fleet/rollout-1.html"))
    assert len(reports) == 4 and all(p.with_suffix(".png").is_file() for p in reports)


@pytest.mark.hil_fleet(size=5, conditions=FieldConditions(lossy_fraction=0.4, power_cuts=1, seed=3), seed=3)
def test_the_same_seed_gives_the_same_rehearsal(fleet, request):
    first = fleet.rollout(PLAN, demo_image("v2", slot="B"))
    fleet.close()
    from pytest_iot_hil.fleet import Fleet
    from pytest_iot_hil.plugin.run import get_run

    run = get_run(request.config)
    with Fleet(parts=run.parts, description=run.description, firmware=run.firmware, size=5, seed=3,
               conditions=FieldConditions(lossy_fraction=0.4, power_cuts=1, seed=3)) as again:
        second = again.rollout(PLAN, demo_image("v2", slot="B"))
    assert first.summary() == second.summary()
    assert first.completed and sum(o.power_cuts for o in first.devices.values()) == 1


@pytest.mark.hil_fleet(size=5, conditions=FieldConditions(offline=1, offline_stage=1, low_battery=1, seed=5), seed=5)
def test_offline_and_low_battery_devices_are_not_updated_and_counted(fleet):
    result = fleet.rollout(PLAN, demo_image("v2", slot="B"))
    outcomes = {o.outcome for o in result.devices.values()}
    assert {"deferred", "not_reporting", "updated"} <= outcomes
    low = next(o for o in result.devices.values() if o.outcome == "deferred")
    assert low.version == "1.0.0" and "battery 3300 mV below 3500 mV" in low.notes[0]
    offline = next(o for o in result.devices.values() if o.outcome == "not_reporting")
    assert offline.stage == "everyone" and not fleet[offline.device].started   # never even powered up
    assert result.stages[-1].metrics["not_reporting"] == 0.25   # 1 of the ring's 4; below the 50% trigger


INTERRUPTED = '''
import pytest
from hil_record import record
from pytest_iot_hil.devices.demo import demo_image
from pytest_iot_hil.fleet import RolloutPlan, Stage

PLAN = RolloutPlan(stages=(Stage("canary", count=1), Stage("everyone", percent=100)))

@pytest.mark.hil
@pytest.mark.hil_fleet(size=4)
def test_interrupted(fleet):
    def stop(line):
        if line.startswith("stage everyone"):
            for dev in fleet:
                if dev.target is not None:
                    record(dev.target)
            raise {how}
    fleet.rollout(PLAN, demo_image("v2", slot="B"), on_event=stop)
'''


@pytest.mark.parametrize("how", ["AssertionError('the rehearsal failed')", "KeyboardInterrupt"])
def test_no_emulator_outlives_a_failed_or_interrupted_rehearsal(pytester, qemu_tracker, how):
    pytester.makepyfile(INTERRUPTED.replace("{how}", how))
    result = pytester.runpytest_subprocess("--hil", "-p", "no:cacheprovider")
    assert result.ret in (pytest.ExitCode.TESTS_FAILED, pytest.ExitCode.INTERRUPTED)
    qemu_tracker.assert_started_some()
    qemu_tracker.assert_all_gone()
