"""Garbage on the UART, JUnit XML and per-test transcripts, against real QEMU."""

from __future__ import annotations

import pytest

from pytest_iot_hil.plugin.run import log_file_name

pytestmark = pytest.mark.needs_qemu

GARBAGE = r"""
import os

import pytest

BANNER = "app v1.0.0 slot=A"
OK = 10

GARBAGE_LINES = [
    b"\x00\x00\x00",
    b"\x1b[2J\x1b[31mred",
    b"\xff\xfe\xfd",
    b"caf\xc3\x28 \xed\xa0\x80 \xf0\x28\x8c\x28",  # invalid UTF-8
    b"A" * 5000,                                 # far past the firmware's 64-byte line buffer
    b"version\x00",                              # a command with a NUL inside is not a command
]


@pytest.mark.hil
def test_garbage(console, request):
    console.expect_exact(BANNER, timeout=OK)
    for line in GARBAGE_LINES:
        console.send(line + b"\r\n")
        console.expect_exact("? unknown command", timeout=OK)
    # The firmware still works.
    console.sendline("version")
    console.expect_exact("version 1.0.0 slot=A", timeout=OK)
    console.sendline("reboot")
    console.expect_exact(BANNER, timeout=OK)
    with open(os.environ["TRANSCRIPT_COPY"], "wb") as fh:
        fh.write(console.transcript)


@pytest.mark.hil
def test_second(console):
    console.expect_exact(BANNER, timeout=OK)
    print("my own stdout")
"""


def test_garbage_does_not_break_firmware_report_or_logs(pytester, demo_firmware, junit, monkeypatch):
    monkeypatch.setenv("TRANSCRIPT_COPY", str(pytester.path / "transcript.bin"))
    pytester.makepyfile(GARBAGE)
    result = pytester.runpytest(
        "--hil", "--hil-firmware", str(demo_firmware.elf), "--junitxml=report.xml", "--hil-log-dir", "uart-logs"
    )
    result.assert_outcomes(passed=2)

    # The XML parses (ElementTree raises on anything ill-formed) ...
    cases = junit(pytester.path / "report.xml")
    case = cases["test_garbage"]
    # ... carries the run's facts exactly once each ...
    assert case.property("hil_target") == "qemu-mps2-an385"
    assert case.property("hil_backend") == "qemu"
    assert case.property("hil_qemu_machine") == "mps2-an385"
    assert case.property("hil_firmware") == str(demo_firmware.elf)
    assert case.property("hil_firmware_sha256") == demo_firmware.sha256(demo_firmware.elf)
    # ... and the UART transcript with a link to the log file.
    log = pytester.path / "uart-logs" / log_file_name("test_garbage_does_not_break_firmware_report_or_logs.py::test_garbage")
    assert case.system_out.count("app v1.0.0 slot=A") == 2
    assert "version 1.0.0 slot=A" in case.system_out
    assert "? unknown command" in case.system_out
    assert f"[[ATTACHMENT|{log}]]" in case.system_out

    # The per-test log holds exactly the raw bytes the console received.
    transcript = (pytester.path / "transcript.bin").read_bytes()
    assert transcript.startswith(b"app v1.0.0 slot=A\r\n")
    assert transcript.count(b"? unknown command\r\n") == 6
    assert log.read_bytes() == transcript

    second = cases["test_second"]
    assert second.property("hil_target") == "qemu-mps2-an385"
    assert "my own stdout" in second.system_out  # --hil switches junit_logging to system-out
    second_log = pytester.path / "uart-logs" / log_file_name("test_garbage_does_not_break_firmware_report_or_logs.py::test_second")
    assert second_log.read_bytes().startswith(b"app v1.0.0 slot=A\r\n")
    assert b"unknown command" not in second_log.read_bytes()
    assert sorted(p.name for p in (pytester.path / "uart-logs").iterdir()) == sorted([log.name, second_log.name])


def test_user_junit_logging_choice_is_kept(pytester, demo_args, junit):
    pytester.makeini("[pytest]\njunit_logging = system-err\n")
    pytester.makepyfile(
        """
        import sys
        import pytest

        @pytest.mark.hil
        def test_one(console):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
            print("to stdout")
            print("to stderr", file=sys.stderr)
        """
    )
    result = pytester.runpytest(*demo_args, "--junitxml=report.xml")
    result.assert_outcomes(passed=1)
    xml = (pytester.path / "report.xml").read_text()
    assert "to stderr" in xml
    assert "<system-out>" not in xml
    case = junit(pytester.path / "report.xml")["test_one"]
    assert case.property("hil_target") == "qemu-mps2-an385"


def test_transcript_of_a_failing_test_is_reported(pytester, demo_args, junit):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hil
        def test_fails(console):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
            console.sendline("version")
            console.expect_exact("version 1.0.0 slot=A", timeout=10)
            assert False, "deliberate"
        """
    )
    result = pytester.runpytest(*demo_args, "--junitxml=report.xml")
    result.assert_outcomes(failed=1)
    case = junit(pytester.path / "report.xml")["test_fails"]
    assert case.failure is not None and "deliberate" in case.failure
    assert "version 1.0.0 slot=A" in case.system_out
    assert case.property("hil_backend") == "qemu"


def test_properties_under_xdist(pytester, demo_args, junit):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hil
        @pytest.mark.parametrize("n", [1, 2])
        def test_n(console, n):
            console.expect_exact("app v1.0.0 slot=A", timeout=10)
        """
    )
    result = pytester.runpytest_subprocess(*demo_args, "-n", "2", "--junitxml=report.xml")
    result.assert_outcomes(passed=2)
    cases = junit(pytester.path / "report.xml")
    assert set(cases) == {"test_n[1]", "test_n[2]"}
    for case in cases.values():
        assert case.property("hil_target") == "qemu-mps2-an385"
        assert "app v1.0.0 slot=A" in case.system_out
