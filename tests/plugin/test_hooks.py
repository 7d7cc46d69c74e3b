"""Third-party backends plug in through the hooks alone.

The ``fake_backend`` fixture (tests/conftest.py) writes a ``conftest.py`` with a
made-up backend ``fake`` whose console is pyserial's ``loop://`` port: every
byte the test sends comes straight back.
"""

from __future__ import annotations


from pytest_iot_hil.plugin.run import log_file_name

CONSOLE_TEST = r"""
import pexpect
import pytest
from pytest_iot_hil import ConsoleClosed, ConsoleTimeout

@pytest.mark.hil(target="fake")
def test_console_on_fake(hil_run, hil_target, console):
    assert hil_run.description.backend == "fake"
    assert type(hil_target).__name__ == "FakeTarget"
    assert hil_target.description.options == {"colour": "green"}
    console.expect_exact("fake boot 1")
    console.sendline("hello from the test")
    assert console.expect(["nothing", r"hello from the (\w+)"]) == 1
    assert console.match.group(1) == "test"
    # Reset and power cycle go through the target; the console follows.
    hil_target.reset()
    console.expect_exact("fake boot 2")
    hil_target.power_off()
    with pytest.raises(ConsoleClosed):
        console.expect("anything")
    hil_target.power_on()
    console.expect_exact("fake boot 3")
    console.sendline("after the power cycle")
    console.expect_exact("after the power cycle")
    with pytest.raises(ConsoleTimeout):
        console.expect("never", timeout=0.1)
    hil_target.write_memory(0x10, b"abc")
    assert hil_target.read_memory(0x10, 3) == b"abc"
"""


def test_fake_backend_selected_through_the_inventory(pytester, fake_backend, hil_toml, junit):
    hil_toml(fake_backend.inventory)
    pytester.makepyfile(CONSOLE_TEST)
    result = pytester.runpytest("--hil", "--junitxml=report.xml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["hil: target bench (backend fake, from *hil.toml), scope function"])

    events = fake_backend.events()
    kinds = [e[0] for e in events]
    # Validated once at configure time, made, started, and always closed.
    assert kinds == ["validate", "make", "start", "close"], events
    assert events[1][1] == "bench"
    assert events[1][2] == str(pytester.path / "hil-logs")  # log_dir handed to the backend
    assert events[3][1] == 3  # three boots before close

    case = junit(pytester.path / "report.xml")["test_console_on_fake"]
    assert case.property("hil_target") == "bench"
    assert case.property("hil_backend") == "fake"
    assert case.property("fake_colour") == "green"  # the backend's own properties()
    assert "hil_firmware" not in dict(case.properties)  # the inventory names no firmware
    assert "hello from the test" in case.system_out


def test_fake_backend_gets_the_firmware(pytester, fake_backend, hil_toml, demo_firmware):
    hil_toml(fake_backend.inventory)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hil
        def test_firmware(hil_target, console):
            assert hil_target.firmware.path.name == "demo-v0.bin"
        """
    )
    result = pytester.runpytest("--hil", "--hil-firmware", str(demo_firmware.bin))
    result.assert_outcomes(passed=1)
    starts = [e for e in fake_backend.events() if e[0] == "start"]
    assert starts == [["start", demo_firmware.sha256(demo_firmware.bin)]]


def test_fake_backend_validation_error_is_a_usage_error(pytester, fake_backend, hil_toml, usage_error):
    path = hil_toml(fake_backend.inventory.replace('colour = "green"', 'colour = "mauve"'))
    pytester.makepyfile(CONSOLE_TEST)
    result = pytester.runpytest("--hil")
    usage_error(result, str(path), "'bench'", "colour must be blue or green, not 'mauve'")
    assert "make" not in [e[0] for e in fake_backend.events()]


def test_unknown_backend_message_lists_third_party_backends(pytester, fake_backend, hil_toml, usage_error):
    hil_toml('[targets.board]\nbackend = "simics"\n')
    pytester.makepyfile(CONSOLE_TEST)
    result = pytester.runpytest("--hil")
    usage_error(result, "backend 'simics'", "available: fake, pyocd, qemu, renode)")


def test_builtin_qemu_backend_is_a_plugin_too(pytester, usage_error):
    """Blocking the QEMU backend's entry point leaves no backend for the default target."""
    pytester.makepyfile(CONSOLE_TEST)
    result = pytester.runpytest("--hil", "-p", "no:iot_hil_qemu")
    usage_error(result, "'qemu-mps2-an385' uses backend 'qemu'", "which no installed plugin provides", "available: pyocd, renode)")


def test_fake_backend_works_without_the_qemu_plugin(pytester, fake_backend, hil_toml):
    hil_toml(fake_backend.inventory)
    pytester.makepyfile(CONSOLE_TEST)
    result = pytester.runpytest("--hil", "-p", "no:iot_hil_qemu")
    result.assert_outcomes(passed=1)


def test_backend_that_makes_no_target(pytester, hil_toml):
    """A validate hook without a make hook: the test errors with a clear message."""
    pytester.makeconftest(
        """
        def pytest_hil_backend_names(config):
            return ["half"]

        def pytest_hil_validate_target(config, description):
            return True if description.backend == "half" else None
        """
    )
    hil_toml('[targets.half]\nbackend = "half"\n')
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hil
        def test_needs_target(hil_target):
            pass
        """
    )
    result = pytester.runpytest("--hil")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no plugin created a target for backend 'half'*"])


# -- transcripts with raw bytes: the loop port echoes whatever the test sends ---

GARBAGE = b"\x00\x01\x1b[31mred\x1b[0m \xff\xfe \xc3\x28 \xed\xa0\x80 \x7f end\n"

GARBAGE_TEST = r"""
import pytest

GARBAGE = %r

@pytest.mark.hil
def test_garbage(console):
    console.expect_exact("fake boot 1")
    console.send(GARBAGE)
    console.expect_exact("end")
    console.send(b"X" * 5000 + b"\n")
    console.expect("X{5000}")
    console.sendline("still fine")
    console.expect_exact("still fine")
""" % (GARBAGE,)


def test_raw_bytes_in_transcript_log_and_junit(pytester, fake_backend, hil_toml, junit):
    hil_toml(fake_backend.inventory)
    pytester.makepyfile(GARBAGE_TEST)
    result = pytester.runpytest("--hil", "--junitxml=report.xml", "--hil-log-dir", "logs")
    result.assert_outcomes(passed=1)

    log = pytester.path / "logs" / log_file_name("test_raw_bytes_in_transcript_log_and_junit.py::test_garbage")
    expected = b"fake boot 1\n" + GARBAGE + b"X" * 5000 + b"\n" + b"still fine\n"
    assert log.read_bytes() == expected  # byte for byte, nothing decoded or dropped

    # Well-formed XML whatever the bytes were (parse fails the test otherwise).
    case = junit(pytester.path / "report.xml")["test_garbage"]
    assert "fake boot 1" in case.system_out
    assert "still fine" in case.system_out
    assert "X" * 5000 in case.system_out
    assert f"[[ATTACHMENT|{log}]]" in case.system_out


def test_log_files_are_per_test_even_when_ids_differ_only_in_punctuation(pytester, fake_backend, hil_toml):
    hil_toml(fake_backend.inventory)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hil
        @pytest.mark.parametrize("word", ["a b", "a_b", "a/b"])
        def test_x(console, word):
            console.sendline("word=" + word)
            console.expect_exact("word=" + word)
        """
    )
    result = pytester.runpytest("--hil", "--hil-log-dir", "logs")
    result.assert_outcomes(passed=3)
    logs = list((pytester.path / "logs").iterdir())
    contents = sorted(p.read_bytes() for p in logs)
    assert contents == sorted(b"fake boot 1\nword=%s\n" % w for w in (b"a b", b"a_b", b"a/b"))


def test_long_node_ids_get_short_distinct_log_names(pytester, fake_backend, hil_toml):
    hil_toml(fake_backend.inventory)
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hil
        @pytest.mark.parametrize("n", [1, 2])
        def test_%s(console, n):
            console.sendline("n=%%d" %% n)
            console.expect_exact("n=%%d" %% n)
        """ % ("long" * 60)
    )
    result = pytester.runpytest("--hil", "--hil-log-dir", "logs")
    result.assert_outcomes(passed=2)
    logs = sorted((pytester.path / "logs").iterdir())
    assert len(logs) == 2
    assert all(len(p.name) <= 150 for p in logs)
    assert sorted(p.read_bytes() for p in logs) == [b"fake boot 1\nn=1\n", b"fake boot 1\nn=2\n"]
    assert logs[0].name != logs[1].name
