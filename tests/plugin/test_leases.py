"""Board leases: one process per board, a dead holder's board free again, busy boards named, leases shown."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from pytest_iot_hil.errors import HilConfigError
from pytest_iot_hil.inventory import Inventory
from pytest_iot_hil.leases import LeaseDir, parse_board_specs
from pytest_iot_hil.devices.demo.layout import firmware_dir as demo_firmware_dir

FACTORY = demo_firmware_dir() / "factory-v1.bin"


HOLD = """
import sys, time
from pytest_iot_hil.leases import LeaseDir
lease = LeaseDir(sys.argv[1]).try_lease(sys.argv[2])
print("held" if lease else "busy", flush=True)
time.sleep(60)
"""


def test_one_holder_per_board_and_a_killed_holder_frees_it(tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path), "nucleo-1"], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        leases = LeaseDir(tmp_path)
        assert leases.try_lease("nucleo-1") is None
        who = leases.holder("nucleo-1")
        assert who is not None and who.pid == holder.pid and "pid" in who.describe()
        other = leases.try_lease("nucleo-2")
        assert other is not None and leases.holder("nucleo-2").pid == os.getpid()
        other.release()
        assert leases.holder("nucleo-2") is None
        holder.send_signal(signal.SIGKILL)   # a killed xdist worker
        holder.wait(10)
        mine = leases.lease_one(["nucleo-1"], timeout=5)
        assert mine is not None and mine.board == "nucleo-1"
        assert json.loads((tmp_path / "nucleo-1.lock").read_text())["pid"] == os.getpid()
        mine.release()
        assert leases.holder("nucleo-1") is None
    finally:
        holder.kill()
        holder.wait(5)


def test_lease_one_waits_then_gives_up(tmp_path):
    leases = LeaseDir(tmp_path)
    held = leases.try_lease("a")
    started = time.monotonic()
    assert leases.lease_one(["a"], timeout=0.3) is None   # flock is per open file: this process too must wait
    assert 0.3 <= time.monotonic() - started < 5
    held.release()
    assert leases.lease_one(["a"], timeout=0.3).board == "a"


def test_board_specs_and_inventory_matching(tmp_path):
    assert parse_board_specs(["nucleo-1", "family=nucleo", " rev = C "]) == (["nucleo-1"], {"family": "nucleo", "rev": "C"})
    with pytest.raises(HilConfigError, match="write a board name or tag=value"):
        parse_board_specs(["=x"])
    inv = tmp_path / "hil.toml"
    inv.write_text('''
[targets.nucleo-1]
backend = "qemu"
tags = { family = "nucleo", rev = "C" }
[targets.nucleo-2]
backend = "qemu"
tags = { family = "nucleo", rev = "B" }
[targets.dk]
backend = "qemu"
tags = { family = "nrf52" }
''')
    inventory = Inventory.load(inv)
    assert [d.name for d in inventory.matching([], {"family": "nucleo"})] == ["nucleo-1", "nucleo-2"]
    assert [d.name for d in inventory.matching([], {"family": "nucleo", "rev": "B"})] == ["nucleo-2"]
    assert [d.name for d in inventory.matching(["dk"], {})] == ["dk"]
    with pytest.raises(HilConfigError, match=r"no board matches family=stm32.*nucleo-1 \(family=nucleo, rev=C\)"):
        inventory.matching([], {"family": "stm32"})
    with pytest.raises(HilConfigError, match="'nope': no such board"):
        inventory.matching(["nope"], {})
    inv.write_text('[targets.x]\nbackend = "qemu"\ntags = ["a"]\n')
    with pytest.raises(HilConfigError, match="tags must be a table of names to strings"):
        Inventory.load(inv)


def _bench(pytester, boards: int) -> None:
    tables = "".join(f'''
[targets.bench-{i}]
backend = "qemu"
machine = "mps2-an385"
flash = {{ start = 0x0, size = 0x100000 }}
firmware = "{FACTORY}"
device = "demo"
tags = {{ family = "demo" }}
''' for i in range(1, boards + 1))
    pytester.makefile(".toml", hil=tables)


def test_more_workers_than_boards_nobody_shares_and_the_rest_skip_with_the_holders(pytester, tmp_path):
    _bench(pytester, 2)
    record = tmp_path / "record"
    record.mkdir()
    pytester.makepyfile(f'''
import os, time
import pytest
from pytest_iot_hil.plugin.run import get_run

@pytest.mark.hil
@pytest.mark.parametrize("i", range(16))
def test_on_a_board(request, i):
    run = get_run(request.config)
    (__import__("pathlib").Path({str(record)!r}) / f"{{os.getpid()}}-{{i}}").write_text(run.lease.board)
    time.sleep(0.2)
''')
    result = pytester.runpytest_subprocess("--hil", "-n", "4", "--hil-board", "family=demo", "--hil-lease-timeout",
                                           "0.5", f"--hil-lease-dir={tmp_path / 'leases'}", "-p", "no:cacheprovider",
                                           "-rs")
    outcomes = result.parseoutcomes()
    assert outcomes.get("passed", 0) > 0 and outcomes.get("failed", 0) == 0, result.stdout.str()
    by_pid: dict[str, set[str]] = {}
    for f in record.iterdir():
        by_pid.setdefault(f.name.split("-")[0], set()).add(f.read_text())
    boards = [b for s in by_pid.values() for b in s]
    assert all(len(s) == 1 for s in by_pid.values()) and len(boards) == len(set(boards)) <= 2, by_pid
    if outcomes.get("skipped"):
        result.stdout.fnmatch_lines(["*no matching board was free within 0.5 s (bench-* held by *pid*"])


def test_leases_are_shown(pytester, tmp_path):
    _bench(pytester, 2)
    held = LeaseDir(tmp_path).try_lease("bench-2")
    try:
        result = pytester.runpytest("--hil-leases", f"--hil-lease-dir={tmp_path}")
        assert result.ret == 0
        result.stdout.fnmatch_lines(["board leases in *", "  bench-1 * free  [[]family=demo[]]",
                                     "  bench-2 * held by *pid*"])
    finally:
        held.release()


def test_board_and_target_together_is_a_usage_error(pytester):
    _bench(pytester, 1)
    pytester.makepyfile("import pytest\n@pytest.mark.hil\ndef test_x():\n    pass\n")
    result = pytester.runpytest("--hil", "--hil-board", "bench-1", "--hil-target", "bench-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--hil-board and --hil-target both choose the target" in result.stderr.str()


def test_leases_of_a_broken_inventory_is_one_line(pytester, tmp_path):
    pytester.makefile(".toml", hil="garbage = [")
    result = pytester.runpytest_subprocess("--hil-leases", f"--hil-lease-dir={tmp_path}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert result.stderr.str().strip().splitlines() == [
        f"ERROR: inventory file {pytester.path / 'hil.toml'} is not valid TOML: Invalid value (at end of document)"]
