"""The BOOT and info lines, parsed exactly as report.c prints them."""

from __future__ import annotations

import re

import pytest
import serial

from pytest_iot_hil.devices.demo.bootline import (
    BOOT_LINE_PATTERN, INFO_LINE_PATTERN, BootLine, BootLineError, InfoSlot, find_boot_lines, find_info_lines,
    parse_boot_line, parse_info_line,
)
from pytest_iot_hil.console import Console, ConsoleTimeout
from pytest_iot_hil.errors import HilError

CONFIRMED = "BOOT slot=A version=1.0.0 state=CONFIRMED tries=3 floor=1 seq=1 reset=REBOOT rollback=NONE"
RECOVERY = "BOOT slot=- version=- state=RECOVERY tries=0 floor=2 seq=40 reset=HARDFAULT rollback=NO_VALID_IMAGE"


def fields(line: BootLine) -> tuple:
    return (line.slot, line.version, line.state, line.tries, line.floor, line.seq, line.reset, line.rollback)


def test_parse_a_normal_boot():
    line = parse_boot_line(CONFIRMED + "\r\n")
    assert fields(line) == ("A", "1.0.0", "CONFIRMED", 3, 1, 1, "REBOOT", "NONE")
    assert line.raw == CONFIRMED and not line.recovery and line.version_tuple == (1, 0, 0)


def test_parse_recovery():
    line = parse_boot_line(RECOVERY)
    assert fields(line) == (None, None, "RECOVERY", 0, 2, 40, "HARDFAULT", "NO_VALID_IMAGE")
    assert line.recovery and line.version_tuple is None


#: What host_report.c feeds report.c, in its order (see that file).
BOOT_SCENARIOS = [
    ("A", "1.0.0", "CONFIRMED", 3, 1, 1, "REBOOT", "NONE"),
    ("B", "2.0.3", "PENDING", 2, 1, 12, "WATCHDOG", "NONE"),
    ("A", "1.0.0", "CONFIRMED", 3, 1, 15, "POWER_ON", "TRIES_EXHAUSTED"),
    (None, None, "RECOVERY", 0, 2, 40, "HARDFAULT", "NO_VALID_IMAGE"),
    ("B", "255.255.65535", "BAD", 255, 0xFFFFFFFF, 0xFFFFFFFF, "MARK_BAD", "INVALID"),
    ("A", "0.9.0", "CONFIRMED", 3, 0, 2, "POWER_ON", "MARK_BAD"),  # unknown cause prints POWER_ON
]


def test_lines_printed_by_the_firmware_code(host_report_lines):
    boots = [line for line in host_report_lines if line.startswith("BOOT ")]
    assert [fields(parse_boot_line(line)) for line in boots] == BOOT_SCENARIOS
    infos = [parse_info_line(line) for line in host_report_lines if line.startswith("info ")]
    assert len(infos) == 4
    factory, trial, recovery, longest = infos
    assert (factory.slot, factory.version, factory.state, factory.floor, factory.seq) == ("A", "1.0.0", "NONE", 0, 0)
    assert factory.slots == {"A": InfoSlot("EMPTY", "0.0.0", 0, 0), "B": InfoSlot("EMPTY", "0.0.0", 0, 0)}
    assert (trial.slot, trial.state, trial.floor, trial.seq, trial.reset) == ("B", "PENDING", 2, 7, "REBOOT")
    assert trial.slots == {"A": InfoSlot("CONFIRMED", "1.0.0", 1, 3), "B": InfoSlot("PENDING", "2.0.0", 2, 1)}
    assert recovery.recovery and recovery.version is None and recovery.state == "RECOVERY"
    assert recovery.slots["B"] == InfoSlot("BAD", "2.0.0", 2, 0) and recovery.reset == "WATCHDOG"
    # The widest values still fit the firmware's 200-byte line buffer.
    assert longest.reset == "HARDFAULT" and longest.slots["B"].tries == 255
    # And the patterns match what the firmware sends (with its CR LF).
    text = "\r\n".join(host_report_lines) + "\r\n"
    assert [fields(b) for b in find_boot_lines(text)] == BOOT_SCENARIOS
    assert len(re.findall(BOOT_LINE_PATTERN, text)) == 6 and len(re.findall(INFO_LINE_PATTERN, text)) == 4


@pytest.mark.parametrize("bad", [
    "",
    "BOOT",
    CONFIRMED.replace(" floor=1", ""),                      # a field missing
    CONFIRMED.replace("tries=3 floor=1", "floor=1 tries=3"),  # fields out of order
    CONFIRMED.replace("slot=A", "slot=C"),
    CONFIRMED.replace("version=1.0.0", "version=1.0"),
    CONFIRMED.replace("state=CONFIRMED", "state=confirmed"),
    CONFIRMED.replace("seq=1", "seq=-1"),
    CONFIRMED.replace("tries=3", "tries=x"),
    CONFIRMED + " extra=1",
    "boot " + CONFIRMED[5:],
    CONFIRMED.replace("  ", " ").replace(" state", "  state"),
    CONFIRMED.replace("slot=A", "slot=-"),                  # recovery slot with a version
    RECOVERY.replace("state=RECOVERY", "state=CONFIRMED"),
    RECOVERY.replace("version=-", "version=1.0.0"),
    CONFIRMED.replace("state=CONFIRMED", "state=RECOVERY"),
])
def test_malformed_lines(bad):
    with pytest.raises(BootLineError, match="line"):
        parse_boot_line(bad)


def test_a_cut_line_is_caught_by_the_scanners_not_the_parser():
    # "rollback=N" is well-formed on its own: parse_boot_line trusts that it
    # was given a whole line; find_boot_lines and the pattern need the end.
    cut = CONFIRMED[:-3]
    assert parse_boot_line(cut).rollback == "N"
    assert find_boot_lines(cut) == []
    assert re.search(BOOT_LINE_PATTERN, cut) is None


def test_error_is_a_hil_error_and_shows_the_line():
    with pytest.raises(HilError, match=r"not a BOOT line: 'BOOT slot=Z'"):
        parse_boot_line("BOOT slot=Z")


def test_pattern_waits_for_the_end_of_the_line():
    """On a live console the line arrives in pieces: no match before its CR LF."""
    pattern = re.compile(BOOT_LINE_PATTERN)
    partial = "BOOT slot=A version=1.0.0 state=PENDING tries=2 floor=1 seq=1"
    assert pattern.search(partial) is None
    assert pattern.search(partial + "2 reset=REBOOT rollback=NO") is None
    m = pattern.search(partial + "2 reset=REBOOT rollback=NONE\r\n")
    assert m and m["seq"] == "12" and m["rollback"] == "NONE"
    assert parse_boot_line(m.group(0)).seq == 12


def test_pattern_finds_a_boot_line_after_half_a_line():
    # A power cut in the middle of the app's output: no newline before BOOT.
    text = "app v1.0.0 sl" + CONFIRMED + "\r\n"
    m = re.search(BOOT_LINE_PATTERN, text)
    assert m and parse_boot_line(m.group(0)).raw == CONFIRMED


def test_pattern_with_the_console():
    port = serial.serial_for_url("loop://", timeout=0)
    console = Console(port, timeout=2)
    try:
        console.send("noise\r\napp v1.0.0 slot=A\r\nBOOT slot=B version=2.0.0 state=PENDING tries=2 floor=1 seq=4")
        with pytest.raises(ConsoleTimeout):
            console.expect(BOOT_LINE_PATTERN, timeout=0.2)
        console.send(" reset=WATCHDOG rollback=NONE\r\napp v2.0.0 slot=B\r\n")
        console.expect(BOOT_LINE_PATTERN, timeout=2)
        line = parse_boot_line(console.after)
        assert fields(line) == ("B", "2.0.0", "PENDING", 2, 1, 4, "WATCHDOG", "NONE")
        assert console.match["slot"] == "B"
        console.expect(r"app v\S+ slot=B", timeout=2)
    finally:
        console.close()
        port.close()


def test_find_boot_lines_in_a_transcript():
    transcript = (
        "garbage \x00\xff\r\n"
        + CONFIRMED + "\r\n"
        + "app v1.0.0 slot=A\r\n"
        + "OK confirm seq=2\r\n"
        + "BOOT slot=B version=2.0.0 state=PENDING tries=2 floor=1 seq=3 reset=REBOOT rollback=NONE\r\n"
        + "app v2.0.0 sl"  # cut by a power cut
        + "BOOT slot=B version=2.0.0 state=PENDING tries=1 floor=1 seq=4 reset=POWER_ON rollback=NONE\n"
        + "BOOT slot=A version=1.0.0 state=CONFIRMED tries=3 flo"  # cut again
        + "\r\nBOOT slot=- version=1.0.0 state=RECOVERY tries=0 floor=1 seq=5 reset=REBOOT rollback=NONE\r\n"
        + RECOVERY
    )
    lines = find_boot_lines(transcript)
    assert [(b.slot, b.tries, b.seq) for b in lines] == [("A", 3, 1), ("B", 2, 3), ("B", 1, 4), (None, 0, 40)]


def test_a_last_line_without_newline_counts_only_if_complete():
    assert find_boot_lines(CONFIRMED) != []
    assert find_boot_lines(RECOVERY) != []
    assert find_boot_lines(RECOVERY[: -len("_VALID_IMAGE")]) == []  # rollback=NO
    assert find_boot_lines(CONFIRMED[:-2]) == []  # rollback=NO
    assert find_boot_lines(CONFIRMED[:-1]) == []  # rollback=NON


INFO = ("info slot=A version=1.0.0 state=CONFIRMED floor=1 seq=1 A=CONFIRMED,1.0.0,sec=1,tries=3 "
        "B=EMPTY,0.0.0,sec=0,tries=0 reset=REBOOT")


def test_parse_info_line():
    info = parse_info_line(INFO + "\r\n")
    assert (info.slot, info.version, info.state, info.floor, info.seq, info.reset) == (
        "A", "1.0.0", "CONFIRMED", 1, 1, "REBOOT")
    assert info.slots["A"] == InfoSlot("CONFIRMED", "1.0.0", 1, 3)
    assert info.slots["B"] == InfoSlot("EMPTY", "0.0.0", 0, 0)
    assert info.raw == INFO and not info.recovery


@pytest.mark.parametrize("bad", [
    INFO.replace(" B=EMPTY,0.0.0,sec=0,tries=0", ""),
    INFO.replace("sec=1", "sec=x"),
    INFO.replace("A=CONFIRMED", "A=confirmed"),
    INFO.replace("slot=A", "slot=-"),
    INFO + " more",
    "version 1.0.0 slot=A",
])
def test_malformed_info_lines(bad):
    with pytest.raises(BootLineError, match="info line"):
        parse_info_line(bad)


def test_find_info_lines():
    text = "info\r\n" + INFO + "\r\nversion 1.0.0 slot=A\r\n" + INFO.replace("seq=1", "seq=2")
    assert [i.seq for i in find_info_lines(text)] == [1, 2]
    assert find_info_lines(INFO[:-2]) == []  # reset=REBO... cut
