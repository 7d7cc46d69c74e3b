"""The Renode target against a stand-in `renode` executable that serves the simulated monitor.

What is checked is what the backend does with Renode's documented interface:
the command line, its own config and TMPDIR, the exact monitor commands for
start, load, reset, power and memory, the UART terminal, and the clean-up.
Renode itself is not installed here.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import time
from pathlib import Path

import pytest

from pytest_iot_hil.backends.renode.target import RenodeTarget, find_renode, validate
from pytest_iot_hil.errors import BackendUnavailable, HilConfigError, TargetError
from pytest_iot_hil.firmware import FirmwareImage
from pytest_iot_hil.protocols.target import MemoryRegion, TargetDescription

FAKE = Path(__file__).with_name("fake-renode")
FLASH = MemoryRegion("flash", 0x08000000, 0x10000)


@pytest.fixture
def renode_on_path(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "renode").symlink_to(FAKE)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    record = tmp_path / "renode-record.jsonl"
    monkeypatch.setenv("FAKE_RENODE_RECORD", str(record))
    return record


def _description(tmp_path, **options) -> TargetDescription:
    repl = tmp_path / "board.repl"
    repl.write_text("# flash 0x08000000 0x10000\nflash: Memory.MappedMemory @ sysbus 0x08000000\n    size: 0x10000\n")
    opts = {"platform": "board.repl", "ram": {"start": 0x20000000, "size": 0x1000}, **options}
    return TargetDescription(name="f4", backend="renode", firmware=None, flash=FLASH, options=opts,
                             source=str(tmp_path / "hil.toml"))


def _read_line(port, timeout=5.0) -> bytes:
    port.timeout = timeout
    return port.read_until(b"\n")


def test_start_load_power_and_memory_through_the_monitor(tmp_path, renode_on_path):
    target = RenodeTarget(_description(tmp_path))
    try:
        target.start(FirmwareImage.from_bytes(b"\x11\x22\x33\x44" + bytes(60), address=FLASH.start))
        port = target.console_port()
        assert _read_line(port) == b"sim boot 1 flash=11223344\r\n"   # the UART terminal, then `start`
        target.write_memory(FLASH.start, b"\xaa\xbb\xcc\xdd")
        target.write_memory(0x20000000, b"ram!")
        assert target.read_memory(0x20000000, 4) == b"ram!"
        target.power_off()    # pause; flash saved through DumpBinary
        assert not target.powered
        assert target.read_memory(FLASH.start, 4) == b"\xaa\xbb\xcc\xdd"
        target.power_on()     # RAM cleared, machine reset, started
        assert _read_line(port) == b"sim boot 2 flash=aabbccdd\r\n"
        assert target.read_memory(0x20000000, 4) == bytes(4)
        target.reset()
    finally:
        target.close()
    (run,) = [json.loads(line) for line in renode_on_path.read_text().splitlines()]
    (lines,) = [json.loads(line) for line in Path(f"{renode_on_path}.lines").read_text().splitlines()]
    argv = run["argv"]
    assert argv[:3] == ["--disable-xwt", "--plain", "--port"] and argv[4] == "--config"
    assert "history-path = " in run["config"] and run["config"].split("= ")[1].strip().startswith(run["cwd"])
    assert run["tmpdir"].startswith(run["cwd"])   # its own TMPDIR, inside its own working folder
    platform = str((tmp_path / "board.repl").resolve())
    uart = re.search(r'CreateServerSocketTerminal (\d+) "term" false', lines[0]).group(1)
    expected = [
        f'mach create "target"; machine LoadPlatformDescription @{platform}; '
        f'emulation CreateServerSocketTerminal {uart} "term" false; connector Connect sysbus.usart2 term; '
        'macro reset "cpu VectorTableOffset 0x08000000"',
        r"sysbus LoadBinary @\S+/flash.bin 0x08000000",
        r"sysbus LoadBinary @\S+/ram.bin 0x20000000",
        "machine Reset; cpu VectorTableOffset 0x08000000",
        "start",
        r"sysbus LoadBinary @\S+/write.bin 0x08000000",
        r"sysbus LoadBinary @\S+/write.bin 0x20000000",
        "sysbus ReadBytes 0x20000000 4",
        r"sysbus.flash DumpBinary @\S+/flash-dump.bin",
        "pause",
        r"sysbus LoadBinary @\S+/flash.bin 0x08000000",
        r"sysbus LoadBinary @\S+/ram.bin 0x20000000",
        "machine Reset; cpu VectorTableOffset 0x08000000",
        "start",
        "sysbus ReadBytes 0x20000000 4",
        "machine Reset",
        "quit",
    ]
    assert len(lines) == len(expected), lines
    for line, pattern in zip(lines, expected):
        assert line == pattern or re.fullmatch(pattern, line), (line, pattern)
    assert not _alive(run["pid"])   # quit, and nothing left running


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def test_a_renode_that_dies_at_start_is_reported_with_its_words(tmp_path, monkeypatch):
    dead = tmp_path / "bin"
    dead.mkdir()
    script = dead / "renode"
    script.write_text("#!/bin/sh\necho 'Could not load the platform: no .NET runtime' >&2\nexit 3\n")
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{dead}{os.pathsep}{os.environ['PATH']}")
    target = RenodeTarget(_description(tmp_path))
    try:
        with pytest.raises(TargetError, match=r"Renode exited before its monitor listened .*no \.NET runtime"):
            target.start(None)
    finally:
        target.close()


def test_no_renode_says_how_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("RENODE_ROOT", raising=False)
    with pytest.raises(BackendUnavailable, match=r"renode was not found .*pip install renode-run && renode-run download"):
        find_renode(_description(tmp_path))
    portable = tmp_path / ".config" / "renode" / "renode-run.download" / "dotnet-portable" / "renode_1.16.1"
    portable.mkdir(parents=True)
    (portable / "renode").symlink_to(FAKE)
    assert find_renode(_description(tmp_path)) == str(portable / "renode")   # renode-run's download is found


@pytest.mark.parametrize("options, message", [
    ({"platform": "nope.repl"}, "platform 'nope.repl' not found"),
    ({"uart_name": "x"}, "unknown key(s) uart_name for backend renode"),
    ({"commands": "start"}, "`commands` must be a list of monitor commands"),
    ({"platform": "my board.repl"}, "cannot take a path with spaces"),
])
def test_a_broken_entry_says_what_to_fix(tmp_path, renode_on_path, options, message):
    (tmp_path / "my board.repl").write_text("# flash 0x08000000 0x10000\n")
    with pytest.raises(HilConfigError) as excinfo:
        validate(_description(tmp_path, **options))
    assert message in str(excinfo.value)


def test_hil_tests_skip_with_the_install_hint_when_renode_is_missing(pytester, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(pytester.path))
    monkeypatch.delenv("RENODE_ROOT", raising=False)
    (pytester.path / "board.repl").write_text("# flash 0x08000000 0x10000\n")
    pytester.makefile(".toml", hil='[targets.f4]\nbackend = "renode"\nplatform = "board.repl"\n'
                                   'flash = { start = 0x08000000, size = 0x10000 }\n')
    pytester.makepyfile("def test_x(hil_target): pass")
    pytester.makepyfile(test_plain="def test_y(): pass")
    result = pytester.runpytest("--hil", "--hil-config", "hil.toml", "--hil-target", "f4", "-rs")
    result.assert_outcomes(passed=1, skipped=1)   # tests that need no target still run
    result.stdout.fnmatch_lines(["*SKIPPED*renode was not found (needed by target 'f4'): install Renode: "
                                 "`pip install renode-run && renode-run download`*"])
    assert result.ret == 0


def test_a_configured_renode_that_is_not_there_still_stops_the_run(pytester, usage_error, monkeypatch):
    (pytester.path / "board.repl").write_text("# flash 0x08000000 0x10000\n")
    pytester.makefile(".toml", hil='[targets.f4]\nbackend = "renode"\nplatform = "board.repl"\n'
                                   'renode = "/nowhere/renode"\nflash = { start = 0x08000000, size = 0x10000 }\n')
    pytester.makepyfile("def test_x(hil_target): pass")
    result = pytester.runpytest("--hil", "--hil-config", "hil.toml", "--hil-target", "f4")
    usage_error(result, "`renode = '/nowhere/renode'` is not an executable")


WATCH = {"register": 0x40023C10, "done_mask": 0x80000000, "control": 0x90000000}
SLOTS = (MemoryRegion("slot_a", 0x08000000, 0x8000), MemoryRegion("slot_b", 0x08008000, 0x8000))
#: The simulated firmware: an erase of erased flash, two programs into slot_b, one into slot_a.
OPS = [["erase", 0x08008000, 0x4000], ["program", 0x08008000, "a1a2a3a4a5a6a7a8"],
       ["program", 0x08008008, "b1b2b3b4b5b6b7b8"], ["program", 0x08000100, "c1c2c3c4c5c6c7c8"]]


def _watched(tmp_path, monkeypatch, **options) -> RenodeTarget:
    monkeypatch.setenv("FAKE_RENODE_FLASH_OPS", json.dumps(OPS))
    description = _description(tmp_path, flash_watch=WATCH, **options)
    return RenodeTarget(dataclasses.replace(description, regions=SLOTS))


def _erased_flash() -> FirmwareImage:
    return FirmwareImage.from_bytes(b"\xff" * FLASH.size, address=FLASH.start)


def test_the_flash_watch_records_each_operation(tmp_path, renode_on_path, monkeypatch):
    target = _watched(tmp_path, monkeypatch)
    try:
        target.start(_erased_flash())
        with target.watch_flash_writes() as watch:   # the whole flash
            target.console_port().write(b"u")   # the firmware starts writing flash
            deadline = time.monotonic() + 10
            while len(watch.writes) < 4 and time.monotonic() < deadline:
                time.sleep(0.02)
        assert [(w.index, w.address, w.old, w.new, w.region) for w in watch.writes] == [
            (0, FLASH.start, b"", b"", "flash"),   # erasing erased flash changes nothing
            (1, 0x08008000, b"\xff" * 8, bytes.fromhex("a1a2a3a4a5a6a7a8"), "flash"),
            (2, 0x08008008, b"\xff" * 8, bytes.fromhex("b1b2b3b4b5b6b7b8"), "flash"),
            (3, 0x08000100, b"\xff" * 8, bytes.fromhex("c1c2c3c4c5c6c7c8"), "flash"),
        ]
        assert watch.cut_at is None and target.powered
    finally:
        target.close()
    (lines,) = [json.loads(line) for line in Path(f"{renode_on_path}.lines").read_text().splitlines()]
    hook = ('sysbus AddWatchpointHook 0x40023C10 DoubleWord Write "if value & 0x80000000 and '
            'self.ReadDoubleWord(0x90000000) == 1: cpu.IsHalted = True"; sysbus WriteDoubleWord 0x90000000 1')
    assert lines.count(hook) == 1                                   # installed once, armed
    assert lines.count("sysbus WriteDoubleWord 0x90000000 0") == 1  # disarmed at close
    assert lines.count("cpu IsHalted false; start") == 4            # each operation resumed
    at_op = lines.index(hook)
    assert "pause" in lines[at_op:] and any("DumpBinary" in line for line in lines[at_op:])


def test_a_cut_before_an_operation_leaves_flash_as_it_was_before_it(tmp_path, renode_on_path, monkeypatch):
    target = _watched(tmp_path, monkeypatch)
    try:
        target.start(_erased_flash())
        cut = lambda i, region, address: region == "slot_b" and i == 1  # noqa: E731
        with target.watch_flash_writes(list(SLOTS), cut_before=cut) as watch:
            target.console_port().write(b"u")
            deadline = time.monotonic() + 10
            while target.powered and time.monotonic() < deadline:
                time.sleep(0.02)
        assert watch.cut_at == 1 and not target.powered
        # On some regions, the erase that changed nothing is not counted: a1 is write 0 (slot_b).
        assert [(w.index, w.region) for w in watch.writes] == [(0, "slot_b")]
        flash = target.read_flash()
        assert flash[0x8000:0x8008] == bytes.fromhex("a1a2a3a4a5a6a7a8")   # op 1 landed
        assert flash[0x8008:0x8010] == b"\xff" * 8                          # op 2 did not
        target.power_on()                                                    # boots from that flash
        assert target.read_memory(0x08008008, 8) == b"\xff" * 8
    finally:
        target.close()


def test_watching_needs_the_flash_watch_table(tmp_path, renode_on_path):
    target = RenodeTarget(_description(tmp_path))
    try:
        with pytest.raises(HilConfigError, match=r"cannot watch flash: add `flash_watch = \{ register = 0x40023C10"):
            target.watch_flash_writes()
    finally:
        target.close()
    with pytest.raises(HilConfigError, match="`flash_watch` must be a table of 32-bit integers"):
        validate(_description(tmp_path, flash_watch={"register": 0x40023C10}))


def test_at_flash_write_cuts_a_renode_target_through_the_power_fixture(pytester, renode_on_path, monkeypatch):
    monkeypatch.setenv("FAKE_RENODE_FLASH_OPS", json.dumps(OPS))
    (pytester.path / "board.repl").write_text("# flash 0x08000000 0x10000\n")
    (pytester.path / "erased.bin").write_bytes(b"\xff" * FLASH.size)
    pytester.makefile(".toml", hil="""
        [targets.f4]
        backend = "renode"
        platform = "board.repl"
        firmware = "erased.bin"
        load_address = 0x08000000
        flash = { start = 0x08000000, size = 0x10000 }
        flash_watch = { register = 0x40023C10, done_mask = 0x80000000, control = 0x90000000 }
        [targets.f4.regions]
        slot_a = { start = 0x08000000, size = 0x8000 }
        slot_b = { start = 0x08008000, size = 0x8000 }
    """)
    pytester.makepyfile("""
        import time
        import pytest
        from pytest_iot_hil.power import at_flash_write

        @pytest.mark.hil
        def test_cut(hil_target, power):
            with power.cut_at(at_flash_write(2, region="slot_b")):
                hil_target.console_port().write(b"u")      # the simulated firmware starts writing
                deadline = time.monotonic() + 10
                while hil_target.powered and time.monotonic() < deadline:
                    time.sleep(0.02)
            assert not hil_target.powered
            flash = hil_target.read_flash()
            assert flash[0x8000:0x8008] == bytes.fromhex("a1a2a3a4a5a6a7a8")   # the first write into slot_b
            assert flash[0x8008:0x8010] == b"\\xff" * 8                          # the second never happened
    """)
    result = pytester.runpytest("--hil", "--hil-config", "hil.toml", "--hil-target", "f4", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_the_campaign_engine_traces_and_boots_cut_states_on_renode(tmp_path, renode_on_path, monkeypatch):
    """The generic campaign steps on a Renode target: one traced run, the cut states computed, one booted."""
    from pytest_iot_hil.campaign.states import StateSpace
    from pytest_iot_hil.campaign.trace import Device, record_trace

    target = _watched(tmp_path, monkeypatch)
    try:
        target.start(_erased_flash())
        device = Device(target=target, console=None, ota=None, boot=None)

        def procedure(dev):   # what an update procedure does: talk to the device, let it write
            dev.target.console_port().write(b"u")
            deadline = time.monotonic() + 10
            while target._flash_watch is not None and target._flash_watch.hits < 3 and time.monotonic() < deadline:
                time.sleep(0.02)

        trace = record_trace(device, procedure)
        assert [(w.address, w.region) for w in trace.writes] == [
            (0x08008000, "slot_b"), (0x08008008, "slot_b"), (0x08000100, "slot_a")]
        space = StateSpace.from_writes(trace.initial, trace.flash_start, trace.writes)
        # A cut before each of the three operations, and the end; and torn programs, derived offline.
        assert [s.op for s in space.states if not s.variant] == [0, 1, 2, 3]
        assert {s.variant for s in space.states if s.variant} <= {"torn", "torn-bits", "torn-noise"}
        before_last = next(s for s in space.states if s.op == 2 and not s.variant)
        image = space.image(before_last)
        target.boot_flash_state(image)   # power on from exactly that flash
        assert target.powered and target.read_memory(0x08008008, 8) == bytes.fromhex("b1b2b3b4b5b6b7b8")
        assert target.read_memory(0x08000100, 8) == b"\xff" * 8
    finally:
        target.close()
