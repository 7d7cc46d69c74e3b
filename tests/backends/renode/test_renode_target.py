"""The Renode target against a stand-in `renode` executable that serves the simulated monitor.

What is checked is what the backend does with Renode's documented interface:
the command line, its own config and TMPDIR, the exact monitor commands for
start, load, reset, power and memory, the UART terminal, and the clean-up.
Renode itself is not installed here.
"""

from __future__ import annotations

import json
import os
import re
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


def test_the_run_stops_at_start_up_when_renode_is_missing(pytester, usage_error, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("HOME", str(pytester.path))
    monkeypatch.delenv("RENODE_ROOT", raising=False)
    (pytester.path / "board.repl").write_text("# flash 0x08000000 0x10000\n")
    pytester.makefile(".toml", hil='[targets.f4]\nbackend = "renode"\nplatform = "board.repl"\n'
                                   'flash = { start = 0x08000000, size = 0x10000 }\n')
    pytester.makepyfile("def test_x(hil_target): pass")
    result = pytester.runpytest("--hil", "--hil-config", "hil.toml", "--hil-target", "f4")
    usage_error(result, "renode was not found", "pip install renode-run && renode-run download")
