"""pytest integration of fleet rehearsals: the ``fleet`` fixture, per-stage JUnit test cases, the report.

A pytest plugin of its own (entry point ``iot_hil_fleet``)::

    @pytest.mark.hil
    @pytest.mark.hil_fleet(size=20, tags={"hw_rev": ["A", "A", "B"]},
                           conditions=FieldConditions(lossy_fraction=0.1, power_cuts=2, seed=7))
    def test_v2_reaches_everyone(fleet):
        result = fleet.rollout(plan, demo_image("v2", slot="B"))
        assert_rollout_completed(result)

After the test, every stage of every rollout becomes a JUnit test case of
its own (``test_v2_reaches_everyone::stage[canary]``: passed; a stage the
pause kept from starting: skipped), with the stage's metrics and each of its
devices' outcome as properties; the rehearsal's HTML report (with its PNG)
goes to the run's log directory and into the test's properties
(``hil_fleet_report``). Every device's emulator is stopped when the test
ends, however it ends.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Iterator

import pytest

from ..plugin.run import get_run

if TYPE_CHECKING:  # pragma: no cover
    from .fleet import Fleet

MARKER = ("hil_fleet(size=10, tags=None, conditions=None, seed=0, workers=None): the `fleet` fixture's devices "
          "(tags: name -> value or list of values cycled over the devices; conditions: FieldConditions)")


#: Marks the per-stage reports, so the terminal counts them as stages rather than as tests.
STAGE_PROPERTY = "hil_fleet_stage"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", MARKER)
    # The stage reports need the run's config in a hook that is not given it: an object that holds it.
    config.pluginmanager.register(_StageReports(config), "iot_hil_fleet_stages")


def pytest_report_teststatus(report, config):
    if report.when == "call" and any(name == STAGE_PROPERTY for name, _ in getattr(report, "user_properties", ())):
        # In the JUnit file a stage is a test case (passed, or skipped when not started);
        # in the terminal it is counted apart: "4 passed, 11 stages".
        return "stages", "", ""
    return None


@pytest.fixture
def fleet(request: pytest.FixtureRequest) -> Iterator["Fleet"]:
    """A fleet of emulated devices of the run's target (see the ``hil_fleet`` marker)."""
    from ..plugin.run import log_file_name
    from .fleet import Fleet

    run = get_run(request.config)
    if run is None:
        pytest.skip("fleet rehearsals run with --hil")
    if run.skip_reason:
        pytest.skip(run.skip_reason)
    marker = request.node.get_closest_marker("hil_fleet")
    kwargs = dict(marker.kwargs) if marker else {}
    unknown = set(kwargs) - {"size", "tags", "conditions", "seed", "workers"}
    if unknown:
        pytest.fail(f"hil_fleet: unknown argument(s) {', '.join(sorted(unknown))} "
                    "(known: size, tags, conditions, seed, workers)", pytrace=False)
    from ..errors import HilConfigError

    log_dir = run.options.log_dir / log_file_name(request.node.nodeid, "-fleet")
    try:
        the_fleet = Fleet(parts=run.parts, description=run.description, firmware=run.firmware,
                          log_dir=log_dir, timeout=run.options.timeout, name=request.node.name, **kwargs)
    except HilConfigError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield the_fleet
    finally:
        the_fleet.close()
        _report(request.node, the_fleet)


#: The stages of a test's rollouts, carried to the process that writes the reports (the xdist controller).
STAGES_PAYLOAD = "hil_fleet_stages"
def _report(item: pytest.Item, the_fleet) -> None:
    stages = []
    for n, result in enumerate(the_fleet.results, start=1):
        prefix = f"rollout{n}-" if len(the_fleet.results) > 1 else ""
        if result.report:
            item.user_properties.append((f"hil_fleet_report{'_' + str(n) if prefix else ''}", result.report))
        for name, stage in [(s.name, s) for s in result.stages] + [(name, None) for name in result.not_started]:
            props = [(STAGE_PROPERTY, name), ("hil_fleet_version", result.version)]
            if stage is not None:
                props += [(f"hil_metric_{k}", f"{v:g}") for k, v in stage.metrics.items()]
                props += [("hil_stage_devices", str(len(stage.devices)))]
                if stage.trip is not None:
                    props.append(("hil_stage_paused", str(stage.trip)))
                for dev in stage.devices:
                    o = result.devices[dev]
                    detail = f"{o.outcome}; runs {o.version} {o.state}; attempts {o.attempts}"
                    if o.faults:
                        detail += "; " + "; ".join(str(f) for f in o.faults)
                    props.append((f"hil_device_{dev}", detail))
            stages.append({"name": f"{prefix}stage[{name}]", "ran": stage is not None, "paused_at": result.paused_at,
                           "duration": (stage.ended_s - stage.started_s) if stage else 0.0, "properties": props})
    if stages:
        item.user_properties.append((STAGES_PAYLOAD, json.dumps(stages)))


class _StageReports:
    """Turns a fleet test's teardown report into one report per stage, in the process that writes the JUnit file."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_logreport(self, report) -> None:
        if report.when == "teardown" and not hasattr(self.config, "workerinput"):  # workers: the controller writes
            _stage_reports(self.config, report)


def _stage_reports(config: pytest.Config, report) -> None:
    payload = [v for k, v in report.user_properties if k == STAGES_PAYLOAD]
    if not payload:
        return
    from _pytest.reports import TestReport

    report.user_properties = [(k, v) for k, v in report.user_properties if k != STAGES_PAYLOAD]
    for stage in json.loads(payload[0]):
        nodeid = f"{report.nodeid}::{stage['name']}"
        props = [tuple(p) for p in stage["properties"]]
        call_outcome = "passed" if stage["ran"] else "skipped"
        why = None if stage["ran"] else (report.location[0], report.location[1] or 0,
                                         f"Skipped: not started: the rollout paused at {stage['paused_at']}")
        # A call report with the outcome, then a teardown report: JUnit writes properties from that one.
        for when, outcome, longrepr in (("call", call_outcome, why), ("teardown", "passed", None)):
            config.hook.pytest_runtest_logreport(report=TestReport(
                nodeid=nodeid, location=report.location, keywords={}, outcome=outcome, longrepr=longrepr,
                when=when, user_properties=props, duration=stage["duration"] if when == "call" else 0.0))
