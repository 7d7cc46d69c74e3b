"""The campaign as pytest sees it: one item per cut, xdist, -k, failures that say how to reproduce them.

Every run under test shares one trace cache (``-o cache_dir=...``), so the
demo update is traced once for the whole module.
"""

from __future__ import annotations

import re
import shlex
import textwrap
import zlib
from pathlib import Path

import pytest

pytestmark = pytest.mark.needs_qemu

CONFTEST = """
# The campaign plugin registers through its pytest11 entry point; this keeps
# the tests working from a checkout whose installed metadata predates it.
from pytest_iot_hil.campaign.plugin import ensure_registered


def pytest_addhooks(pluginmanager):
    ensure_registered(pluginmanager)
"""

CAMPAIGN = """
import pytest
from pytest_iot_hil.devices.demo import DemoOracle, DemoUpdate

@pytest.mark.hil_campaign(procedure=DemoUpdate(), oracle=DemoOracle(), cuts="sample:6")
def test_cut(power_cut):
    power_cut.check()
"""

# A team's own oracle: the demo one, plus a (made-up) rule that every cut breaks.
PICKY = """
import pytest
from pytest_iot_hil.campaign import Violation
from pytest_iot_hil.devices.demo import DemoOracle, DemoUpdate

class PickyOracle(DemoOracle):
    def check(self, device, ctx):
        found = super().check(device, ctx)
        found.append(Violation("X1", ctx.state.id, f"{ctx.state.kind} cuts are not allowed here"))
        return found

@pytest.mark.hil_campaign(procedure=DemoUpdate(), oracle=PickyOracle(), cuts="sample:3:5", name="picky")
def test_cut(power_cut):
    power_cut.check()
"""


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("campaign-cache")


@pytest.fixture
def project(pytester: pytest.Pytester, shared_cache: Path):
    pytester.makeconftest(CONFTEST)
    pytester.makeini(f"[pytest]\ncache_dir = {shared_cache}\n")

    def make(source: str = CAMPAIGN) -> pytest.Pytester:
        pytester.makepyfile(test_campaign=textwrap.dedent(source))
        return pytester

    return make


def collected_ids(result: pytest.RunResult) -> list[str]:
    return [line.split("[", 1)[1].rstrip("]") for line in result.outlines if "::test_cut[" in line]


def test_without_hil_the_campaign_is_one_skipped_item(project):
    result = project().runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*run pytest with --hil*"])


def test_every_cut_is_an_item_spread_over_xdist_workers(project, junit, qemu_tracker):
    pytester = project()
    listed = pytester.runpytest_subprocess("--hil", "--collect-only", "-q")
    ids = collected_ids(listed)
    assert len(ids) == 6 and all(i.startswith("cut-") for i in ids), listed.stdout.str()

    result = pytester.runpytest_subprocess("--hil", "-n", "2", "--junitxml=reports/out.xml", "-p", "xdist")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*power-cut campaign*", "*6 cuts run*6 passed*", "report: *power-cut-report.html"])
    cases = junit(pytester.path / "reports" / "out.xml")
    assert sorted(name.split("[", 1)[1].rstrip("]") for name in cases) == sorted(ids)
    for name, case in cases.items():
        assert case.property("hil_campaign_cut") in name
        assert case.property("hil_campaign_violations") == ""
        assert "BOOT slot=" in case.system_out  # the cut's console output
    html = (pytester.path / "reports" / "power-cut-report.html").read_text()
    assert "power-cut-0.png" in html and "test_campaign.py::test_cut" in html
    png = (pytester.path / "reports" / "power-cut-0.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    idat = png.index(b"IDAT")
    zlib.decompress(png[idat + 4 : idat + 4 + int.from_bytes(png[idat - 4 : idat], "big")])
    qemu_tracker.assert_all_gone()


def test_k_reruns_one_cut(project):
    pytester = project()
    ids = collected_ids(pytester.runpytest_subprocess("--hil", "--collect-only", "-q"))
    result = pytester.runpytest_subprocess("--hil", "-k", ids[2])
    result.assert_outcomes(passed=1, deselected=5)


def test_a_failing_cut_says_how_to_reproduce_it(project, pytester):
    project(PICKY)
    result = pytester.runpytest_subprocess("--hil", "--hil-log-dir=logs")
    result.assert_outcomes(failed=3)
    text = result.stdout.str()
    assert "cuts are not allowed here" in text
    assert "violations per invariant: X1 3 cuts" in text
    command = re.search(r"reproduce \(from [^)]*\): (pytest .*)", text).group(1)
    saved = re.search(r"flash image of the cut: (/\S+\.bin)", text).group(1)
    assert Path(saved).stat().st_size == 0x100000
    args = shlex.split(command)
    assert args[:2] == ["pytest", "test_campaign.py::test_cut"] and "--hil" in args
    rerun = pytester.runpytest_subprocess(*args[2:])
    rerun.assert_outcomes(failed=1, deselected=2)


def test_export_writes_the_flash_image_of_every_cut(project):
    pytester = project()
    result = pytester.runpytest_subprocess("--hil", "--hil-campaign-cuts", "sample:2", "--hil-campaign-export", "images")
    result.assert_outcomes(passed=2)
    images = sorted((pytester.path / "images").glob("cut-*.bin"))
    assert len(images) == 2 and all(p.stat().st_size == 0x100000 for p in images)


def test_a_bad_selection_is_a_clear_error(project, usage_error):
    result = project().runpytest("--hil", "--hil-campaign-cuts", "most")
    usage_error(result, "'most' is not a cut selection", "sample:N")


def test_power_cut_needs_the_marker(project):
    result = project("def test_cut(power_cut):\n    pass\n").runpytest("--hil")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*needs @pytest.mark.hil_campaign*"])


def test_command_line_beats_marker_beats_ini(project, pytester, shared_cache):
    pytester.makeini(f"[pytest]\ncache_dir = {shared_cache}\nhil_campaign_cuts = sample:2\n")
    unmarked = CAMPAIGN.replace(', cuts="sample:6"', "")
    assert len(collected_ids(project(unmarked).runpytest_subprocess("--hil", "--collect-only", "-q"))) == 2
    marked = CAMPAIGN.replace("sample:6", "sample:4")
    assert len(collected_ids(project(marked).runpytest_subprocess("--hil", "--collect-only", "-q"))) == 4
    result = project(marked).runpytest_subprocess("--hil", "--collect-only", "-q", "--hil-campaign-cuts", "sample:3")
    assert len(collected_ids(result)) == 3
