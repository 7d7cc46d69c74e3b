"""Shared helpers for the pytest-iot-hil test suite.

The suite drives the plugin from the outside with ``pytester``: every test
writes a small project (test files, ``hil.toml``, ini) into a temporary
directory and runs pytest on it, in-process (``runpytest``) or in a child
process (``runpytest_subprocess``) where a real process boundary matters.

Fixtures defined here:

* ``demo_firmware`` - private copies of the demo firmware (ELF and .bin) with
  their SHA-256, so a concurrent rebuild of ``firmware_fixtures/build`` cannot
  change the bytes under a running test;
* ``demo_args`` - ``--hil --hil-firmware <copy of demo-v0.elf>``;
* ``hil_toml`` - writes an inventory file; ``qemu_target_table`` - the TOML of
  a QEMU mps2-an385 target;
* ``junit`` - parses a JUnit XML report; ``usage_error`` - asserts a clean
  usage error (exit code 4, one ``ERROR:`` line, no traceback);
* ``fake_backend`` - a ``conftest.py`` providing a made-up backend ``fake``
  (a pyserial ``loop://`` console) through the plugin's hooks only;
* ``qemu_tracker`` - finds every ``qemu-system-arm`` started by the run under
  test (marked through its environment) and checks that none survives.

The marker ``needs_qemu`` skips a test when ``qemu-system-arm`` is missing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import textwrap
import time
import uuid
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIRMWARE_BUILD = REPO / "firmware_fixtures" / "build"
QEMU_BINARY = "qemu-system-arm"
#: Environment variable that marks the processes started by one run under test.
RUN_MARKER_VAR = "PYTEST_IOT_HIL_SUITE_RUN"
#: Environment variable telling the inner tests where to record what they saw.
RECORD_VAR = "PYTEST_IOT_HIL_SUITE_RECORD"

QEMU_MISSING_REASON = f"{QEMU_BINARY} is not on PATH: this test boots the demo firmware in QEMU"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"needs_qemu: boots or validates a QEMU target; skipped when {QEMU_BINARY} is not installed"
    )
    config.addinivalue_line(
        "markers", "bench: needs a real board on a debug probe (tests/backends/pyocd/test_on_a_bench.py says how)"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if shutil.which(QEMU_BINARY) is not None:
        return
    skip = pytest.mark.skip(reason=QEMU_MISSING_REASON)
    for item in items:
        if item.get_closest_marker("needs_qemu") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _hermetic_environment(request: pytest.FixtureRequest):
    """Runs under test (pytester) must not see how the outer run was started.

    Tests that do not use pytester are left alone.
    """
    if "pytester" not in request.fixturenames:
        yield
        return
    request.getfixturevalue("pytester")  # it resets PYTEST_ADDOPTS: set ours afterwards
    with pytest.MonkeyPatch.context() as mp:
        for var in ("PYTEST_HIL", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT",
                    "PYTEST_XDIST_TESTRUNUID", "PYTEST_XDIST_AUTO_NUM_WORKERS", RUN_MARKER_VAR, RECORD_VAR):
            mp.delenv(var, raising=False)
        # Hypothesis' plugin imports hypothesis (~1.5 s) at the end of every run
        # under test, because pytester drops modules imported by an in-process run.
        mp.setenv("PYTEST_ADDOPTS", "-p no:hypothesispytest")
        yield


# -- firmware -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DemoFirmware:
    elf: Path
    bin: Path

    @staticmethod
    def sha256(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def demo_firmware(pytester: pytest.Pytester) -> DemoFirmware:
    """Copies of the demo firmware in ``<project>/fw/``."""
    fw = pytester.path / "fw"
    fw.mkdir(exist_ok=True)
    elf = fw / "demo-v0.elf"
    binary = fw / "demo-v0.bin"
    for src, dst in ((FIRMWARE_BUILD / "demo-v0.elf", elf), (FIRMWARE_BUILD / "demo-v0.bin", binary)):
        if not src.is_file():
            pytest.fail(f"demo firmware {src} is missing: run `make -C firmware_fixtures install`")
        shutil.copyfile(src, dst)
    assert elf.read_bytes().startswith(b"\x7fELF")
    return DemoFirmware(elf=elf, bin=binary)


# -- inventory ------------------------------------------------------------------


@pytest.fixture
def hil_toml(pytester: pytest.Pytester):
    """``hil_toml(text, name="hil.toml")`` writes an inventory (dedented) and returns its path."""

    def write(text: str | bytes, name: str = "hil.toml") -> Path:
        path = pytester.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text))
        return path

    return write


def qemu_target_toml(name: str, firmware: Path | str, *, extra: str = "") -> str:
    """An inventory table for a QEMU mps2-an385 target booting ``firmware``."""
    return textwrap.dedent(
        f"""
        [targets.{name}]
        backend = "qemu"
        machine = "mps2-an385"
        firmware = "{firmware}"
        flash = {{ start = 0x0, size = 0x100000 }}
        """
    ) + textwrap.dedent(extra)


@pytest.fixture
def qemu_target_table():
    return qemu_target_toml


# -- a third-party backend, plugged in through the hooks only --------------------

FAKE_BACKEND = '''
"""A made-up backend ``fake``: its console is pyserial's ``loop://`` port.

Registered only through pytest-iot-hil's hooks, like any third-party backend.
"""
import json
import os

import serial

from pytest_iot_hil.errors import HilConfigError
from pytest_iot_hil.protocols.target import Target

EVENTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fake-events.jsonl")


def event(*what):
    with open(EVENTS, "a") as fh:
        fh.write(json.dumps(list(what)) + "\\n")


class FakeTarget(Target):
    backend = "fake"

    def __init__(self, description, log_dir):
        super().__init__(description)
        self.log_dir = log_dir
        self.port = None
        self.memory = bytearray(256)
        self.boots = 0
        event("make", description.name, str(log_dir))

    def _boot(self):
        self.port = serial.serial_for_url("loop://", timeout=0, do_not_open=True)
        # The loop queue holds 4096 bytes by default and a write to a full
        # queue blocks the only thread that could read it: make room for long lines.
        self.port.buffer_size = 1 << 20
        self.port.open()
        self.boots += 1
        self.port.write(b"fake boot %d\\n" % self.boots)
        self._console_reconnected()

    def start(self, firmware):
        self.firmware = firmware
        event("start", firmware.sha256 if firmware is not None else None)
        self._boot()

    def close(self):
        if self.port is not None:
            self.port.close()
            self.port = None
        event("close", self.boots)

    def reset(self):
        self.boots += 1
        self.port.write(b"fake boot %d\\n" % self.boots)

    def power_off(self):
        self.port.close()
        self.port = None
        self._console_reconnected()

    def power_on(self):
        self._boot()

    @property
    def powered(self):
        return self.port is not None

    def read_memory(self, address, size):
        return bytes(self.memory[address:address + size])

    def write_memory(self, address, data):
        self.memory[address:address + len(data)] = data

    def program(self, firmware):
        self.firmware = firmware
        self.reset()

    def console_port(self):
        return self.port

    def properties(self):
        props = super().properties()
        props["fake_colour"] = str(self.description.options.get("colour", "blue"))
        return props


def pytest_hil_backend_names(config):
    return ["fake"]


def pytest_hil_validate_target(config, description):
    if description.backend != "fake":
        return None
    colour = description.options.get("colour", "blue")
    if colour not in ("blue", "green"):
        raise HilConfigError(
            f"{description.source}: target {description.name!r}: colour must be blue or green, not {colour!r}"
        )
    event("validate", description.name)
    return True


def pytest_hil_make_target(config, description, log_dir):
    if description.backend != "fake":
        return None
    return FakeTarget(description, log_dir)
'''

FAKE_INVENTORY = """
default_target = "bench"

[targets.bench]
backend = "fake"
colour = "green"
"""


@dataclasses.dataclass
class FakeBackend:
    path: Path
    #: An inventory selecting the fake backend (target ``bench``, ``colour = "green"``).
    inventory: str = FAKE_INVENTORY

    def events(self) -> list[list]:
        events_file = self.path / "fake-events.jsonl"
        if not events_file.exists():
            return []
        return [json.loads(line) for line in events_file.read_text().splitlines()]


@pytest.fixture
def fake_backend(pytester: pytest.Pytester) -> FakeBackend:
    """Installs the ``fake`` backend as the project's ``conftest.py``."""
    pytester.makeconftest(FAKE_BACKEND)
    return FakeBackend(pytester.path)


# -- process and scratch directory tracking -------------------------------------

RECORDER = '''
"""Imported by tests under test: records what the plugin started."""
import json
import os

from pytest_iot_hil.processes import live_processes


def record(target=None, **extra):
    entry = {
        "pid": os.getpid(),
        "qemu": [p.pid for p in live_processes() if p.alive()],
        "scratch": str(target._scratch) if getattr(target, "_scratch", None) else None,
        **extra,
    }
    with open(os.environ["PYTEST_IOT_HIL_SUITE_RECORD"], "a") as fh:
        fh.write(json.dumps(entry) + "\\n")
        fh.flush()
        os.fsync(fh.fileno())
'''


def _proc_state(pid: int) -> str | None:
    """The state letter of ``pid`` (``R``, ``S``, ``Z``...), or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def _is_live_qemu(pid: int) -> bool:
    state = _proc_state(pid)
    if state is None or state in ("Z", "X"):
        return False  # gone, or dead and waiting to be reaped
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return QEMU_BINARY.encode() in cmdline


class QemuTracker:
    """Finds the QEMU processes of one run under test and proves they are gone.

    Two independent sources: the pids the inner tests record through the
    plugin's own bookkeeping, and a scan of ``/proc/*/environ`` for a marker
    variable every process started by the run inherits.
    """

    def __init__(self, marker: str, record_file: Path, scratch_root: Path) -> None:
        self.marker = marker
        self.record_file = record_file
        self.scratch_root = scratch_root

    def records(self) -> list[dict]:
        if not self.record_file.exists():
            return []
        return [json.loads(line) for line in self.record_file.read_text().splitlines() if line.strip()]

    def recorded_qemu_pids(self) -> set[int]:
        return {pid for rec in self.records() for pid in rec["qemu"]}

    def marked_qemu_pids(self) -> set[int]:
        needle = f"{RUN_MARKER_VAR}={self.marker}".encode()
        found = set()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:
                continue
            if needle in environ.split(b"\0") and _is_live_qemu(int(entry.name)):
                found.add(int(entry.name))
        return found

    def live(self) -> set[int]:
        recorded = {pid for pid in self.recorded_qemu_pids() if _is_live_qemu(pid)}
        return recorded | self.marked_qemu_pids()

    def assert_started_some(self) -> None:
        assert self.recorded_qemu_pids(), f"the inner tests recorded no QEMU process: {self.records()}"

    def assert_all_gone(self, within: float = 3.0) -> None:
        deadline = time.monotonic() + within
        while True:
            left = self.live()
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert not left, f"QEMU processes of the run under test still alive after {within} s: {sorted(left)}"

    def scratch_dirs(self) -> list[Path]:
        return [Path(rec["scratch"]) for rec in self.records() if rec.get("scratch")]

    def scratch_left(self) -> list[Path]:
        """Scratch directories of the run under test that still exist."""
        root = self.scratch_root
        return sorted(root.iterdir()) if root.is_dir() else []

    def assert_scratch_removed(self) -> None:
        recorded = self.scratch_dirs()
        assert recorded, "the inner tests recorded no scratch directory"
        assert all(p.parent == self.scratch_root for p in recorded), (recorded, self.scratch_root)
        left = self.scratch_left()
        assert not left, f"scratch directories of the run under test still exist: {left}"


@pytest.fixture
def qemu_tracker(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path_factory):
    """Marks the run under test and writes ``hil_record.py`` for its tests.

    Inner tests do ``from hil_record import record`` and call ``record(hil_target)``.
    The run gets a private temporary directory (``TMPDIR`` for child processes,
    ``tempfile.tempdir`` in-process), so its scratch directories are told apart
    from those of concurrent runs, which may also sweep stale ones.
    """
    marker = uuid.uuid4().hex
    record_file = pytester.path / "hil-record.jsonl"
    private_tmp = tmp_path_factory.mktemp("tmpdir")
    monkeypatch.setenv(RUN_MARKER_VAR, marker)
    monkeypatch.setenv(RECORD_VAR, str(record_file))
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    pytester.makepyfile(hil_record=RECORDER)
    tracker = QemuTracker(marker, record_file, private_tmp / f"pytest-iot-hil-{os.getuid()}")
    yield tracker
    # Whatever the test asserted, leave no emulator behind for the next one.
    for pid in tracker.live():
        try:
            os.kill(pid, 9)
        except OSError:
            pass


# -- JUnit XML ------------------------------------------------------------------


@dataclasses.dataclass
class JunitCase:
    name: str
    properties: list[tuple[str, str]]
    system_out: str
    skipped: str | None
    failure: str | None

    def property(self, name: str) -> str:
        values = [v for k, v in self.properties if k == name]
        assert len(values) == 1, f"property {name!r} appears {len(values)} times in {self.properties}"
        return values[0]


def read_junit(path: Path) -> dict[str, JunitCase]:
    """Parse a JUnit XML file (fails the test if it is not well-formed)."""
    root = ET.parse(path).getroot()
    cases = {}
    for tc in root.iter("testcase"):
        props = [(p.get("name"), p.get("value")) for p in tc.iter("property")]
        out = "".join(so.text or "" for so in tc.iter("system-out"))
        skipped = tc.find("skipped")
        failure = tc.find("failure")
        if failure is None:
            failure = tc.find("error")
        cases[tc.get("name")] = JunitCase(
            name=tc.get("name"),
            properties=props,
            system_out=out,
            skipped=skipped.get("message") if skipped is not None else None,
            failure=failure.get("message") if failure is not None else None,
        )
    return cases


def assert_usage_error(result: pytest.RunResult, *needles: str) -> str:
    """Exit code 4, exactly one ``ERROR:`` message, no traceback, every needle named."""
    stdout, stderr = result.stdout.str(), result.stderr.str()
    everything = stdout + "\n" + stderr
    assert result.ret == pytest.ExitCode.USAGE_ERROR, everything
    errors = [line for line in result.stderr.lines if line.startswith("ERROR:")]
    assert len(errors) == 1, f"expected one ERROR: message, got {errors}\n{everything}"
    assert "Traceback" not in everything, everything
    assert "INTERNALERROR" not in everything, everything
    for needle in needles:
        assert needle in stderr, f"{needle!r} not in the error message:\n{stderr}"
    return stderr


@pytest.fixture
def junit():
    """``junit(path)`` parses a JUnit XML file into ``{test name: JunitCase}``."""
    return read_junit


@pytest.fixture
def usage_error():
    """``usage_error(result, *needles)`` asserts a clean usage error naming every needle."""
    return assert_usage_error


@pytest.fixture
def demo_args(demo_firmware: DemoFirmware) -> list[str]:
    """Command-line arguments for a --hil run booting the demo firmware (``demo-v0.elf``)
    on the built-in QEMU target, whatever firmware that target bundles by default."""
    return ["--hil", "--hil-firmware", str(demo_firmware.elf)]
