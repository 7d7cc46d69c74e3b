"""The Renode monitor client against a simulator of Renode's documented monitor protocol."""

from __future__ import annotations

import pytest

from monitor_sim import MonitorSim, NEGOTIATION
from pytest_iot_hil.backends.renode.monitor import (ERROR_MARKERS, Monitor, MonitorError, MonitorTimeout, _Telnet,
                                                    format_time, parse_bytes, parse_int)
from pytest_iot_hil.errors import TargetError


@pytest.fixture
def sim():
    s = MonitorSim()
    yield s
    s.close()


def test_connect_reads_the_banner_after_the_negotiation_split_over_packets(sim):
    mon = Monitor(sim.port, timeout=5)
    assert "Renode, version" in mon.banner and "\xff" not in mon.banner
    assert mon.prompt == "monitor"
    mon.close()


def test_commands_their_echo_values_and_the_prompt_of_a_machine(sim):
    mon = Monitor(sim.port, timeout=5)
    assert mon.execute('mach create "demo"') == ""
    assert mon.prompt == "demo"
    mon.execute("sysbus WriteDoubleWord 0x20000000 0xCAFE")
    assert parse_int(mon.execute("sysbus ReadDoubleWord 0x20000000")) == 0xCAFE
    assert sim.lines[-1] == "sysbus ReadDoubleWord 0x20000000"
    mon.execute("sysbus WriteDoubleWord 0x20000004 0x04030201")
    data = parse_bytes(mon.execute("sysbus ReadBytes 0x20000000 12"))   # two lines of ten, as Renode prints
    assert data == bytes([0xFE, 0xCA, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0])
    mon.close()


@pytest.mark.parametrize("command, marker", [
    ("frobnicate", "No such command or device:"),
    ("i @missing.resc", "Could not find file"),
    ("sysbus LoadELF $bin", "No such variable:"),
    ("a && b", "Could not tokenize here:"),
    ("machine LoadPlatformDescription @broken.repl", "Errors during compilation or loading:"),
    ("machine LoadPlatformDescription @offline-svd.repl", "Failed to download"),
])
def test_every_documented_error_text_raises_with_renodes_own_words(sim, command, marker):
    mon = Monitor(sim.port, timeout=5)
    with pytest.raises(MonitorError) as excinfo:
        mon.execute(command)
    assert marker in str(excinfo.value) and excinfo.value.command == command
    assert "\n" not in str(excinfo.value)
    assert mon.execute("help").startswith("Available commands")   # the monitor is usable afterwards
    mon.close()


def test_a_command_refused_after_start_names_renodes_reason(sim):
    mon = Monitor(sim.port, timeout=5)
    mon.execute("start")
    with pytest.raises(MonitorError, match="not available when emulation is already started"):
        mon.execute(f"emulation RunFor {format_time(0.01)}")
    mon.close()


def test_a_batch_is_one_line_and_stops_at_the_first_failure(sim):
    mon = Monitor(sim.port, timeout=5)
    mon.batch(["sysbus WriteDoubleWord 0x0 0x1", "sysbus WriteDoubleWord 0x4 0x2"])
    assert sim.lines[-1] == "sysbus WriteDoubleWord 0x0 0x1; sysbus WriteDoubleWord 0x4 0x2"
    assert sim.memory == {0: 1, 4: 2}
    with pytest.raises(MonitorError, match="No such command or device: bogus"):
        mon.batch(["sysbus WriteDoubleWord 0x8 0x3", "bogus", "sysbus WriteDoubleWord 0xC 0x4"])
    assert 8 in sim.memory and 12 not in sim.memory   # the rest of the line was skipped
    mon.close()


def test_a_slow_monitor_times_out_and_a_dying_one_says_so():
    slow = MonitorSim(slow={"emulation RunFor": 2.0})
    mon = Monitor(slow.port, timeout=5)
    with pytest.raises(MonitorTimeout, match="did not answer within the time allowed"):
        mon.execute(f"emulation RunFor {format_time(1)}", timeout=0.3)
    mon.close()
    slow.close()
    dying = MonitorSim(die_on="quit")
    mon = Monitor(dying.port, timeout=5)
    with pytest.raises(TargetError, match=r"closed the connection \(did Renode exit\?\)"):
        mon.execute("quit")
    mon.close()
    dying.close()


def test_no_monitor_listening_ends_with_a_clear_line():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(TargetError, match=f"did not listen on 127.0.0.1:{port} within 0.3 s"):
        Monitor(port, connect_timeout=0.3)
    with pytest.raises(TargetError, match="Renode exited before its monitor listened"):
        Monitor(port, connect_timeout=5, alive=lambda: False)


def test_telnet_commands_are_removed_and_ff_undoubled_across_chunks():
    t = _Telnet()
    stream = NEGOTIATION + b"ab\xff\xffc" + b"\xff\xfa\x18\x01\xff\xf0" + b"d"
    out = b"".join(t.feed(stream[i:i + 1]) for i in range(len(stream)))   # one byte at a time
    assert out == b"ab\xffcd"


def test_an_ff_byte_in_the_output_arrives_once(sim):
    mon = Monitor(sim.port, timeout=5)
    assert mon.execute("echo-ff") == "\ufffd"   # one 0xFF byte (not valid UTF-8), not two
    mon.close()


@pytest.mark.parametrize("seconds, text", [(0.01, '"0.010000000"'), (1e-5, '"0.000010000"'), (2, '"2.000000000"'),
                                           (0, '"0.000000000"')])
def test_time_strings_renode_cannot_misread(seconds, text):
    assert format_time(seconds) == text   # never "10ms", "1e-05" or ".5": Renode misreads those


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "1", True])
def test_bad_times_are_refused(bad):
    with pytest.raises(ValueError, match="a virtual time must be"):
        format_time(bad)


def test_the_markers_are_the_documented_seven():
    assert len(ERROR_MARKERS) == 7
