"""Whole runs on boards behind simulated probes: the examples unchanged, xdist leasing, every way a run ends.

The board behind ``SIMQ0001`` is a QEMU mps2-an385 that really boots the demo
firmware; pyOCD programs it, resets it and reads its memory, its console is a
pty (as a board's USB serial port), and its supply is switched by a power
driver of the test project's own (``driver = "simboard"``), plugged in
through ``pytest_hil_make_power`` like any team's.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hil_simprobe import registry

from pyocdbench import pyocd_target_toml

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"

SIMBOARD_POWER = '''
import pytest
from hil_simprobe import registry
from pytest_iot_hil.protocols.power import PowerSwitch


class SimBoardPower(PowerSwitch):
    """The supply of a simulated board: a team's own driver, `driver = "simboard"`."""

    def __init__(self, probe):
        self.probe = probe

    def off(self):
        registry.board_of(self.probe).power_off()

    def on(self):
        registry.board_of(self.probe).power_on()

    def properties(self):
        return {"hil_power_driver": "simboard", "hil_power_probe": self.probe}


@pytest.hookimpl(optionalhook=True)
def pytest_hil_make_power(config, target):
    spec = target.description.power or {}
    return SimBoardPower(spec["probe"]) if spec.get("driver") == "simboard" else None
'''


def _board_inventory(pytester, qemu_board) -> Path:
    power = '[targets.sim-board.power]\ndriver = "simboard"\nprobe = "SIMQ0001"\n'
    return pytester.makefile(".toml", hil=pyocd_target_toml("sim-board", probe=qemu_board.unique_id,
                                                             console=qemu_board.console, extra=power))


@pytest.mark.needs_qemu
def test_the_examples_run_unchanged_on_a_board_through_pyocd(pytester, qemu_board):
    for name in ("test_update_and_rollback.py", "test_demo_console.py", "test_power_loss.py"):
        (pytester.path / name).write_text((EXAMPLES / name).read_text())
    pytester.makeconftest(SIMBOARD_POWER)
    inventory = _board_inventory(pytester, qemu_board)
    result = pytester.runpytest("--hil", "--hil-config", str(inventory), "--hil-target", "sim-board",
                                "--junitxml=report.xml", "-p", "no:cacheprovider", "-rs")
    # Every example passes on the board, except a cut at a flash write, which only an emulator can
    # make (that example says so with its marker).
    result.assert_outcomes(passed=11, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*test_power_loss.py*pinned to target 'qemu'*backend 'pyocd'*"])
    report = (pytester.path / "report.xml").read_text()
    assert 'name="hil_probe" value="SIMQ0001"' in report
    assert 'name="hil_backend" value="pyocd"' in report
    assert qemu_board.board.power_cycles >= 3
    assert not registry.is_open(qemu_board.unique_id)


JOURNAL_THROUGH_PYOCD = '''
import pytest
from pytest_iot_hil.assertions import assert_rolled_back
from pytest_iot_hil.devices.demo import demo_image
from pytest_iot_hil.devices.demo.assertions import assert_journal_matches
from pytest_iot_hil.devices.demo.journal import read_journal

@pytest.mark.hil
def test_a_rollback_seen_in_the_journal_read_by_pyocd(ota, boot, console, hil_target):
    boot.wait_for_boot()
    ota.install(demo_image("v3-crash", slot="B"))
    for _ in range(4):
        boot.wait_for_boot(app=False)
    assert_rolled_back(console, to="1.0.0", reason="TRIES_EXHAUSTED")
    journal = read_journal(hil_target)      # pyOCD reads it from the running device
    assert journal.latest.slots["B"].state == "BAD"
    assert_journal_matches(boot.info(), journal)
'''


@pytest.mark.needs_qemu
def test_the_journal_decoder_and_rollback_assertions_through_pyocd(pytester, qemu_board):
    pytester.makepyfile(JOURNAL_THROUGH_PYOCD)
    inventory = _board_inventory(pytester, qemu_board)
    result = pytester.runpytest("--hil", "--hil-config", str(inventory), "--hil-target", "sim-board",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


INNER_FAILING = '''
import pytest

def test_fails(hil_target):
    assert hil_target.read_memory(0xC000, 4) == b"JRNL"
    assert False, "on purpose"

def test_interrupted(hil_target):
    raise KeyboardInterrupt
'''


@pytest.mark.needs_qemu
@pytest.mark.parametrize("how", ["a failed test", "-x", "Ctrl-C"])
def test_the_session_is_closed_however_the_run_ends(pytester, qemu_board, how):
    pytester.makepyfile(INNER_FAILING)
    inventory = _board_inventory(pytester, qemu_board)
    args = ["--hil", "--hil-config", str(inventory), "--hil-target", "sim-board", "-p", "no:cacheprovider"]
    if how == "a failed test":
        result = pytester.runpytest(*args, "-k", "fails")
        result.assert_outcomes(failed=1)
    elif how == "-x":
        result = pytester.runpytest(*args, "-x")
        result.assert_outcomes(failed=1)
    else:
        result = pytester.runpytest(*args, "-k", "interrupted", no_reraise_ctrlc=True)
        assert result.ret == pytest.ExitCode.INTERRUPTED
    assert not registry.is_open(qemu_board.unique_id)  # the probe is free: the session was closed
    assert qemu_board.board.powered  # and the board runs on, as a real one would


def test_a_killed_worker_frees_its_probe(bench, tmp_path):
    bench.plug("SIM0001")
    holder = textwrap.dedent('''
        import sys, time
        from pytest_iot_hil.backends.pyocd.target import PyocdTarget
        from pytest_iot_hil.protocols.target import TargetDescription
        t = PyocdTarget(TargetDescription(name="b", backend="pyocd", firmware=None,
                                          options={"target_type": "cortex_m", "probe": "SIM0001"}))
        t.start(None)
        print("holding", flush=True)
        time.sleep(60)
    ''')
    proc = subprocess.Popen([sys.executable, "-c", holder], stdout=subprocess.PIPE, text=True, env=os.environ.copy())
    try:
        assert proc.stdout.readline().strip() == "holding"
        from pytest_iot_hil.backends.pyocd.target import PyocdTarget
        from pytest_iot_hil.errors import TargetError
        from pytest_iot_hil.protocols.target import TargetDescription

        mine = PyocdTarget(TargetDescription(name="b", backend="pyocd", firmware=None,
                                             options={"target_type": "cortex_m", "probe": "SIM0001"}))
        with pytest.raises(TargetError, match="in use by another process"):
            mine.start(None)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        mine.start(None)  # the kernel dropped the dead worker's hold on the probe
        mine.close()
    finally:
        proc.kill()
        proc.wait()


LEASED = '''
import json, os

def test_board(hil_target, request):
    probe = hil_target.properties()["hil_probe"]
    data = os.urandom(64)
    hil_target.write_memory(0x20000000, data)
    assert hil_target.read_memory(0x20000000, 64) == data
    with open(os.environ["SEEN"], "a") as fh:
        fh.write(json.dumps([os.environ.get("PYTEST_XDIST_WORKER"), probe]) + "\\n")
'''


def test_xdist_workers_each_lease_their_own_nucleo(pytester, bench, tmp_path, monkeypatch):
    for n in range(1, 5):
        bench.plug(f"SIMN000{n}")
    bench.plug("SIMD0001")  # a board of another family: never leased
    inventory = "".join(
        pyocd_target_toml(f"nucleo-{n}", probe=f"SIMN000{n}", firmware=None, device=False,
                          extra='tags = { family = "nucleo" }\n')
        for n in range(1, 5)
    ) + pyocd_target_toml("disco-1", probe="SIMD0001", firmware=None, device=False,
                          extra='tags = { family = "disco" }\n')
    pytester.makefile(".toml", hil=inventory)
    pytester.makepyfile(**{f"test_leased_{i}": LEASED for i in range(8)})
    seen = tmp_path / "seen.jsonl"
    monkeypatch.setenv("SEEN", str(seen))
    result = pytester.runpytest_subprocess("--hil", "--hil-config", "hil.toml", "--hil-board", "family=nucleo",
                                           "--hil-lease-dir", str(tmp_path / "leases"), "-n", "4",
                                           "-p", "no:cacheprovider")
    result.assert_outcomes(passed=8)
    rows = [json.loads(line) for line in seen.read_text().splitlines()]
    by_worker: dict[str, set[str]] = {}
    for worker, probe in rows:
        by_worker.setdefault(worker, set()).add(probe)
    assert all(len(probes) == 1 for probes in by_worker.values()), by_worker  # one board per worker
    owners = [next(iter(p)) for p in by_worker.values()]
    assert len(owners) == len(set(owners)), by_worker  # and no board shared between workers
    assert "SIMD0001" not in owners


def test_a_board_in_another_room_through_pyocds_probe_server(bench):
    """`pyocd server` serves the probe; the target names it `remote:host:port`, nothing else changes."""
    import re

    from pytest_iot_hil.backends.pyocd.target import PyocdTarget
    from pytest_iot_hil.devices.demo.layout import FLASH, firmware_dir
    from pytest_iot_hil.protocols.target import TargetDescription

    bench.plug("SIM0001")
    server = subprocess.Popen([sys.executable, "-m", "pyocd", "server", "-v", "-p", "0", "-u", "SIM0001", "--local-only"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=os.environ.copy())
    target = None
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = server.stdout.readline()
            if not line:
                break
            found = re.search(r"Serving debug probe .*\(SIM0001\) on port (\d+)", line)
            port = int(found.group(1)) if found else None
        assert port, "pyocd server did not say which port it serves on"
        target = PyocdTarget(TargetDescription(name="far-board", backend="pyocd", firmware=None, flash=FLASH,
                                               options={"target_type": "cortex_m", "probe": f"remote:127.0.0.1:{port}"}))
        image = firmware_dir() / "bootloader.bin"
        # Not target.start(image): pyOCD 0.46's remote client cannot send the bytearray its RAM
        # loader hands over (a TypeError in its JSON encoding), and this board's "flash" is RAM.
        target.start(None)
        target.write_memory(0, image.read_bytes())
        target.reset("halt")
        assert target.read_memory(0, 256) == image.read_bytes()[:256]
        assert target.session.target.read_core_register("pc") == int.from_bytes(image.read_bytes()[4:8], "little") & ~1
        assert target.properties()["hil_probe"].startswith("remote:")  # what the report names
    finally:
        if target is not None:
            target.close()
        server.kill()
        server.wait()


@pytest.mark.parametrize("entry, needles", [
    ('probe = "NOPE"', ["no debug probe 'NOPE' is connected (connected: SIM0001 (pytest-iot-hil Simulated SWD probe",
                        "plug the board in, check `pyocd list`, or fix `probe`"]),
    ('probe = "SIM"\n', ["probe 'SIM' matches 2 connected probes", "give more of its unique id in `probe`"]),
])
def test_a_missing_or_ambiguous_probe_ends_the_run_with_one_line(pytester, bench, usage_error, entry, needles):
    bench.plug("SIM0001")
    bench.plug("SIM0002")
    pytester.makefile(".toml", hil=f'[targets.board]\nbackend = "pyocd"\ntarget_type = "cortex_m"\n{entry}\n')
    pytester.makepyfile("def test_x(hil_target): pass")
    result = pytester.runpytest("--hil", "--hil-config", "hil.toml", "--hil-target", "board")
    usage_error(result, *needles)


REOPENED = '''
import pytest

@pytest.mark.hil
def test_power_cycle(power, console):
    console.expect("app v1")
    power.cycle()
    console.expect("app v1", timeout=10)
    assert len(console.gaps) == 1
'''


@pytest.mark.needs_qemu
@pytest.mark.parametrize("reopen_s", [10, 0])
def test_a_usb_serial_port_that_goes_with_the_power_is_reopened(pytester, tmp_path, monkeypatch, reopen_s):
    """The board's serial port vanishes while it is off; `console_reopen_s` brings the console back."""
    monkeypatch.delenv(registry.ENV, raising=False)
    link = tmp_path / "ttyACM-SIMQ0002"
    with registry.attached("SIMQ0002", board="qemu", console=str(link), usb_serial=True):
        pytester.makeconftest(SIMBOARD_POWER)
        power = '[targets.sim-board.power]\ndriver = "simboard"\nprobe = "SIMQ0002"\n'
        pytester.makefile(".toml", hil=pyocd_target_toml("sim-board", probe="SIMQ0002", console=link,
                                                         extra=f"console_reopen_s = {reopen_s}\n" + power))
        pytester.makepyfile(REOPENED)
        result = pytester.runpytest("--hil", "--hil-config", "hil.toml", "--hil-target", "sim-board",
                                    "-p", "no:cacheprovider")
        if not reopen_s:
            result.assert_outcomes(failed=1)  # without it, the console ends with the port
            return
        result.assert_outcomes(passed=1)
        logs = list((pytester.path / "hil-logs").glob("*.log"))
        assert any("the port was gone for" in p.read_text(errors="replace") for p in logs), logs
