"""No emulator and no scratch directory outlives the run that started it.

The ``qemu_tracker`` fixture (tests/conftest.py) marks every process of the run
under test through its environment, gives the run a private temporary
directory, and provides ``hil_record.record(target)`` to the inner tests, which
writes down the QEMU pids and scratch directory the plugin is using.
"""

from __future__ import annotations

import os
import signal

import pytest

pytestmark = pytest.mark.needs_qemu

BANNER = "app v1.0.0 slot=A"

FAILING = """
import pytest
from hil_record import record

@pytest.mark.hil
def test_fails(console, hil_target):
    console.expect_exact("app v1.0.0 slot=A", timeout=10)
    record(hil_target)
    assert False, "deliberate failure"
"""

RAISES_MIDWAY = """
import pytest
from hil_record import record

@pytest.mark.hil
def test_raises(console, hil_target):
    console.expect_exact("app v1.0.0 slot=A", timeout=10)
    record(hil_target)
    console.sendline("version")
    raise RuntimeError("deliberate error in the middle of a conversation")
"""

SETUP_ERROR = """
import pytest
from hil_record import record

@pytest.fixture
def broken(console, hil_target):
    console.expect_exact("app v1.0.0 slot=A", timeout=10)
    record(hil_target)
    raise RuntimeError("deliberate error in a fixture")

@pytest.mark.hil
def test_uses_broken(broken):
    pass
"""

STOP_AFTER_FIRST = """
import pytest
from hil_record import record

@pytest.mark.hil
def test_first(console, hil_target):
    console.expect_exact("app v1.0.0 slot=A", timeout=10)
    record(hil_target)
    assert False, "deliberate failure"

@pytest.mark.hil
def test_second(console, hil_target):
    record(hil_target)
    raise AssertionError("-x should have stopped the run")
"""


@pytest.mark.parametrize(
    ("source", "args", "outcomes"),
    [
        pytest.param(FAILING, [], {"failed": 1}, id="failing-test"),
        pytest.param(RAISES_MIDWAY, [], {"failed": 1}, id="raises-midway"),
        pytest.param(SETUP_ERROR, [], {"errors": 1}, id="fixture-error"),
        pytest.param(STOP_AFTER_FIRST, ["-x"], {"failed": 1}, id="stop-after-first-failure"),
        pytest.param(STOP_AFTER_FIRST, ["-x", "--hil-scope", "session"], {"failed": 1}, id="-x-session-scope"),
    ],
)
def test_emulator_gone_after(pytester, demo_args, qemu_tracker, source, args, outcomes):
    pytester.makepyfile(source)
    result = pytester.runpytest(*demo_args, *args)
    result.assert_outcomes(**outcomes)
    qemu_tracker.assert_started_some()
    assert len(qemu_tracker.records()) == 1
    qemu_tracker.assert_all_gone(within=2.0)
    qemu_tracker.assert_scratch_removed()


def test_emulator_gone_after_keyboard_interrupt(pytester, demo_args, qemu_tracker):
    pytester.makepyfile(
        """
        import pytest
        from hil_record import record

        @pytest.mark.hil
        def test_interrupted(console, hil_target):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
            record(hil_target)
            raise KeyboardInterrupt

        @pytest.mark.hil
        def test_never_reached(console, hil_target):
            record(hil_target)
        """
    )
    result = pytester.runpytest_subprocess(*demo_args)
    assert result.ret == pytest.ExitCode.INTERRUPTED, result.stdout.str()
    result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    qemu_tracker.assert_started_some()
    assert len(qemu_tracker.records()) == 1
    qemu_tracker.assert_all_gone(within=2.0)
    qemu_tracker.assert_scratch_removed()


def test_emulator_gone_after_sigterm(pytester, demo_args, qemu_tracker):
    """A CI runner's `kill` (SIGTERM) to pytest itself."""
    pytester.makepyfile(
        """
        import os
        import signal
        import pytest
        from hil_record import record

        @pytest.mark.hil
        def test_terminated(console, hil_target):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
            record(hil_target)
            os.kill(os.getpid(), signal.SIGTERM)
        """
    )
    result = pytester.runpytest_subprocess(*demo_args)
    assert result.ret == -signal.SIGTERM, (result.ret, result.stdout.str(), result.stderr.str())
    qemu_tracker.assert_started_some()
    qemu_tracker.assert_all_gone(within=2.0)
    qemu_tracker.assert_scratch_removed()


XDIST_KILL = """
import os
import signal
import pytest
from hil_record import record

@pytest.mark.hil
def test_worker_killed(console, hil_target):
    console.expect_exact("app v1.0.0 slot=A", timeout=10)
    record(hil_target, killed=True)
    os.kill(os.getpid(), signal.SIGKILL)

@pytest.mark.hil
@pytest.mark.parametrize("n", range(3))
def test_others(console, hil_target, n):
    console.expect_exact("app v1.0.0 slot=A", timeout=10)
    record(hil_target)
"""


def _killed_worker(tracker):
    killed = [rec for rec in tracker.records() if rec.get("killed")]
    assert len(killed) == 1, tracker.records()
    return killed[0]


def test_emulator_gone_after_xdist_worker_is_killed(pytester, demo_args, qemu_tracker):
    pytester.makepyfile(XDIST_KILL)
    result = pytester.runpytest_subprocess(*demo_args, "-n", "2")
    result.stdout.fnmatch_lines(["*worker 'gw*' crashed while running*test_worker_killed*"])
    result.assert_outcomes(passed=3, failed=1)
    killed = _killed_worker(qemu_tracker)
    assert killed["qemu"], killed
    # The kernel's parent-death signal takes the emulator down with the worker.
    qemu_tracker.assert_all_gone(within=2.0)
    # The dead worker's scratch directory is at worst left for a later run to sweep:
    # its owner is recorded and dead.
    leftover = killed["scratch"]
    if os.path.exists(leftover):
        owner = int(open(os.path.join(leftover, "owner.pid")).read())
        assert owner == killed["pid"]
        with pytest.raises(ProcessLookupError):
            os.kill(owner, 0)


def test_next_run_sweeps_scratch_dirs_of_dead_owners(pytester, demo_args, qemu_tracker):
    pytester.makepyfile(XDIST_KILL)
    result = pytester.runpytest_subprocess(*demo_args, "-n", "2", "--max-worker-restart=0")
    result.stdout.fnmatch_lines(["*worker 'gw*' crashed while running*test_worker_killed*"])
    killed = _killed_worker(qemu_tracker)
    qemu_tracker.assert_all_gone(within=2.0)
    # Planted: a directory whose owner file names no process, and a live owner's.
    dead = qemu_tracker.scratch_root / "qemu-planted-dead"
    dead.mkdir()
    (dead / "owner.pid").write_text(str(killed["pid"]))
    alive = qemu_tracker.scratch_root / "qemu-planted-alive"
    alive.mkdir()
    (alive / "owner.pid").write_text(str(os.getpid()))

    pytester.makepyfile(test_later="import pytest\n\n@pytest.mark.hil\ndef test_nothing(hil_run):\n    pass\n")
    later = pytester.runpytest(*demo_args, "test_later.py")
    later.assert_outcomes(passed=1)
    assert not os.path.exists(killed["scratch"])
    assert not dead.exists()
    assert alive.exists(), "a live owner's scratch directory was removed"


def test_no_scratch_dir_of_a_killed_worker_survives_the_run(pytester, demo_args, qemu_tracker):
    pytester.makepyfile(XDIST_KILL)
    # No replacement worker: its start-up sweep would hide the problem some of the time.
    result = pytester.runpytest_subprocess(*demo_args, "-n", "2", "--max-worker-restart=0")
    result.stdout.fnmatch_lines(["*worker 'gw*' crashed while running*test_worker_killed*"])
    qemu_tracker.assert_all_gone(within=2.0)
    assert not os.path.exists(_killed_worker(qemu_tracker)["scratch"])


def test_xdist_four_tests_two_workers(pytester, demo_args, qemu_tracker, junit):
    pytester.makepyfile(
        """
        import pytest
        from hil_record import record

        @pytest.mark.hil
        @pytest.mark.parametrize("n", range(4))
        def test_parallel(console, hil_target, n):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
            console.sendline("version")
            console.expect_exact("version 1.0.0 slot=A", timeout=10)
            record(hil_target)
        """
    )
    result = pytester.runpytest_subprocess(*demo_args, "-n", "2", "--junitxml=report.xml")
    result.assert_outcomes(passed=4)
    records = qemu_tracker.records()
    assert len(records) == 4
    assert len({rec["pid"] for rec in records}) == 2, "not spread over two workers"
    assert len({pid for rec in records for pid in rec["qemu"]}) == 4, "not one emulator per test"
    assert len(junit(pytester.path / "report.xml")) == 4
    qemu_tracker.assert_all_gone(within=2.0)
    qemu_tracker.assert_scratch_removed()
