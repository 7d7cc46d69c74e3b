"""One image run from its streamed output: resets, summaries that disagree, hangs, a closed link.

The device is pyserial's ``loop://`` port: what the test writes is what the
console reads, so each misbehaviour is played exactly.
"""

from __future__ import annotations

import serial

from pytest_iot_hil.console import Console
from pytest_iot_hil.unit.elf import ListedCase
from pytest_iot_hil.unit.parsers import UnityParser, ZtestParser
from pytest_iot_hil.unit.run import NOT_RUN, DevicePatterns, run_image

PATTERNS = DevicePatterns(boot=r"runner: starting", fault=r"\*\*\* (?P<kind>HardFault) pc=(?P<pc>0x[0-9a-f]+)")
LISTING = [ListedCase("s", n) for n in ("test_a", "test_b", "test_c")]


def _run(output: bytes, parser, *, listing=LISTING, case_timeout=0.3):
    port = serial.serial_for_url("loop://", timeout=0, do_not_open=True)
    port.buffer_size = 1 << 20
    port.open()
    port.write(output)
    console = Console(port, timeout=1)
    try:
        return run_image(console, parser, listing=lambda suites: listing, patterns=PATTERNS, symbolizer=None,
                         case_timeout=case_timeout, total_timeout=5)
    finally:
        console.close()
        port.close()


def outcomes(run) -> dict:
    return {c.name: (c.outcome, c.message) for c in run.cases}


def test_a_reset_mid_run_fails_the_running_case_and_the_rest_are_not_run():
    run = _run(b"runner: starting\r\nRunning TESTSUITE s\r\nSTART - test_a\r\n PASS - test_a in 0.001 seconds\r\n"
               b"START - test_b\r\nrunner: starting\r\n", ZtestParser())
    got = outcomes(run)
    assert got["test_a"] == ("passed", "")
    assert got["test_b"][0] == "failed" and got["test_b"][1].startswith("the device reset while this case ran")
    assert got["test_c"] == (NOT_RUN, "not run: the device reset during s::test_b")
    assert run.stopped == "the device reset" and run.summary_problem == "no summary: the device reset"


def test_plain_unity_blames_the_case_after_the_last_one_reported():
    listing = [ListedCase("x", n) for n in ("test_a", "test_b", "test_c")]  # Unity's suite: the file's stem
    run = _run(b"runner: starting\r\nx.c:1:test_a:PASS\r\n*** HardFault pc=0x0000abcd\r\n", UnityParser(),
               listing=listing)
    got = outcomes(run)
    assert got["test_b"][0] == "failed" and "HardFault (pc=0x0000abcd) while this case ran" in got["test_b"][1]
    assert got["test_c"] == (NOT_RUN, "not run: the device crashed during x::test_b")


def test_a_silent_case_fails_as_hung():
    run = _run(b"runner: starting\r\nRunning TESTSUITE s\r\nSTART - test_a\r\n", ZtestParser(), case_timeout=0.2)
    got = outcomes(run)
    assert got["test_a"][0] == "failed" and "no output for 0.2 s (case_timeout)" in got["test_a"][1]
    assert got["test_b"] == (NOT_RUN, "not run: the device hung in s::test_a")


def test_a_summary_that_disagrees_is_reported():
    run = _run(b"x.c:1:test_a:PASS\r\nx.c:2:test_b:FAIL: no\r\n\r\n-----------------------\r\n"
               b"3 Tests 0 Failures 0 Ignored \r\nOK\r\n", UnityParser(), listing=[])
    assert run.stopped is None
    assert "the summary says 3 tests, 0 failures, 0 skipped; the output showed 2, 1, 0" in run.summary_problem
    assert "the final verdict is OK but a case failed" in run.summary_problem


def test_a_summary_that_agrees_passes():
    run = _run(b"x.c:1:test_a:PASS\r\n\r\n-----------------------\r\n1 Tests 0 Failures 0 Ignored \r\nOK\r\n",
               UnityParser(), listing=[ListedCase("x", "test_a")])
    assert run.summary_problem is None and outcomes(run) == {"test_a": ("passed", "")}


def test_listed_cases_the_image_never_reported_are_not_run():
    run = _run(b"x.c:1:test_a:PASS\r\n\r\n-----------------------\r\n1 Tests 0 Failures 0 Ignored \r\nOK\r\n",
               UnityParser(), listing=[ListedCase("x", "test_a"), ListedCase("x", "test_zz")])
    assert outcomes(run)["test_zz"] == (NOT_RUN, "not run: the image ended without running it")


def test_a_run_without_a_final_result_is_reported():
    run = _run(b"x.c:1:test_a:PASS\r\n", UnityParser(), listing=[ListedCase("x", "test_a")], case_timeout=0.2)
    assert run.summary_problem.startswith("no summary: no output for 0.2 s")
