"""--hil-scope: one QEMU shared by several tests, reset between them."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.needs_qemu

RECORD = """
import json
import os

import pytest

BANNER = "app v1.0.0 slot=A"


def record(request, target, console):
    entry = {
        "test": request.node.name,
        "module": request.node.module.__name__,
        "target": id(target),
        "uart": target.console_url,
        "boots": target.boots,
        "banners": console.transcript.count(BANNER.encode()),
    }
    with open(os.path.join(str(request.config.rootpath), "scope.jsonl"), "a") as fh:
        fh.write(json.dumps(entry) + "\\n")
"""

MODULE_A = """
import pytest
from scope_record import BANNER, record

@pytest.mark.hil
def test_a1(request, hil_target, console):
    console.expect_exact(BANNER, timeout=10)
    record(request, hil_target, console)

@pytest.mark.hil
def test_a2(request, hil_target, console):
    console.expect_exact(BANNER, timeout=10)
    console.sendline("version")
    console.expect_exact("version 1.0.0 slot=A", timeout=10)
    record(request, hil_target, console)
    hil_target.power_off()  # the next test must get it back on
"""

MODULE_B = """
import pytest
from scope_record import BANNER, record

@pytest.mark.hil
def test_b1(request, hil_target, console):
    assert hil_target.powered
    console.expect_exact(BANNER, timeout=10)
    record(request, hil_target, console)

@pytest.mark.hil
def test_b2(request, hil_target, console):
    console.expect_exact(BANNER, timeout=10)
    record(request, hil_target, console)

def test_plain():
    pass
"""


def _records(pytester):
    return [json.loads(line) for line in (pytester.path / "scope.jsonl").read_text().splitlines()]


def _project(pytester):
    pytester.makepyfile(scope_record=RECORD, test_a=MODULE_A, test_b=MODULE_B)


def test_session_scope_boots_once_and_resets_between_tests(pytester, demo_args):
    _project(pytester)
    result = pytester.runpytest(*demo_args, "--hil-scope", "session")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["hil: target qemu-mps2-an385 (backend qemu, from <built-in>), scope session"])
    records = _records(pytester)
    assert [r["test"] for r in records] == ["test_a1", "test_a2", "test_b1", "test_b2"]
    assert len({r["target"] for r in records}) == 1, "not one shared target object"
    # test_a2 powered it off: the emulator behind it was restarted for test_b1, then kept.
    assert records[0]["uart"] == records[1]["uart"]
    assert records[2]["uart"] == records[3]["uart"]
    # One boot at start, then a reset (or a power-on) before each further test.
    assert [r["boots"] for r in records] == [1, 2, 3, 4]
    # Each test's console saw exactly one boot banner: its own.
    assert [r["banners"] for r in records] == [1, 1, 1, 1]


def test_module_scope_shares_within_a_module_only(pytester, demo_args):
    _project(pytester)
    result = pytester.runpytest(*demo_args, "--hil-scope", "module")
    result.assert_outcomes(passed=5)
    a1, a2, b1, b2 = _records(pytester)
    assert a1["target"] == a2["target"] and a1["uart"] == a2["uart"]
    assert b1["target"] == b2["target"] and b1["uart"] == b2["uart"]
    assert a1["uart"] != b1["uart"]
    assert [r["boots"] for r in (a1, a2, b1, b2)] == [1, 2, 1, 2]


def test_function_scope_boots_a_fresh_target_per_test(pytester, demo_args):
    _project(pytester)
    result = pytester.runpytest(*demo_args)
    result.assert_outcomes(passed=5)
    records = _records(pytester)
    assert len({r["uart"] for r in records}) == 4
    assert [r["boots"] for r in records] == [1, 1, 1, 1]


def test_session_scope_under_xdist(pytester, demo_args, qemu_tracker):
    """One target per worker; each worker resets it between its tests."""
    _project(pytester)
    result = pytester.runpytest_subprocess(*demo_args, "--hil-scope", "session", "-n", "2")
    result.assert_outcomes(passed=5)
    records = _records(pytester)
    assert len(records) == 4
    assert len({r["uart"] for r in records}) <= 3  # at most 2 workers, one restart after test_a2's power-off
    assert all(r["banners"] == 1 for r in records)
    qemu_tracker.assert_all_gone()


def test_shared_target_does_not_leak_output_into_the_next_test(pytester, demo_args):
    pytester.makepyfile(
        """
        import time
        import pytest

        @pytest.mark.hil
        def test_one(console):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
            console.sendline("version")
            time.sleep(1.5)  # the reply arrives, nobody reads it

        @pytest.mark.hil
        def test_two(console):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
            assert b"version 1.0.0" not in console.transcript, console.transcript
        """
    )
    result = pytester.runpytest(*demo_args, "--hil-scope", "session")
    result.assert_outcomes(passed=2)
