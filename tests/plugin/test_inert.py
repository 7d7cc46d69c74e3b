"""Without --hil the plugin skips hardware tests and changes nothing else."""

from __future__ import annotations

import pytest

INNER = """
import pytest

@pytest.mark.hil
def test_marked():
    raise AssertionError("a hil test ran without --hil")

@pytest.mark.hil(target="qemu")
def test_marked_pinned():
    raise AssertionError("a pinned hil test ran without --hil")

def test_console_unmarked(console):
    raise AssertionError("the console fixture was set up without --hil")

def test_target_unmarked(hil_target):
    raise AssertionError("the hil_target fixture was set up without --hil")

def test_run_unmarked(hil_run):
    raise AssertionError("the hil_run fixture was set up without --hil")

def test_plain(record_property):
    print("plain output")
    record_property("mine", "1")
    assert 1 + 1 == 2
"""

SKIPPED = ["test_marked", "test_marked_pinned", "test_console_unmarked", "test_target_unmarked", "test_run_unmarked"]


def test_hil_tests_are_skipped_with_a_reason_naming_the_option(pytester, junit):
    pytester.makepyfile(INNER)
    result = pytester.runpytest("-rs", "--junitxml=report.xml")
    result.assert_outcomes(passed=1, skipped=len(SKIPPED))
    assert result.ret == pytest.ExitCode.OK

    cases = junit(pytester.path / "report.xml")
    for name in SKIPPED:
        assert cases[name].skipped is not None, name
        assert "--hil" in cases[name].skipped, (name, cases[name].skipped)
    assert cases["test_plain"].skipped is None and cases["test_plain"].failure is None
    # The -rs summary names the option too, once per skipped test.
    skip_lines = [line for line in result.stdout.lines if line.startswith("SKIPPED")]
    assert skip_lines and all("--hil" in line for line in skip_lines), skip_lines


def test_nothing_else_changes(pytester, junit):
    """No properties, no <system-out>, no transcripts, no header lines."""
    pytester.makepyfile(INNER)
    result = pytester.runpytest("--junitxml=report.xml")
    result.assert_outcomes(passed=1, skipped=len(SKIPPED))

    xml_text = (pytester.path / "report.xml").read_text()
    assert "hil_" not in xml_text
    cases = junit(pytester.path / "report.xml")
    for case in cases.values():
        names = [name for name, _ in case.properties]
        assert all(not name.startswith("hil") for name in names), case.properties
    # The user's own property is still there; junit_logging stayed "no".
    assert cases["test_plain"].properties == [("mine", "1")]
    assert "<system-out>" not in xml_text and cases["test_plain"].system_out == ""

    assert not (pytester.path / "hil-logs").exists()
    assert not any(line.startswith("hil:") for line in result.stdout.lines)


def test_hil_options_are_ignored_without_hil(pytester):
    """Inventory, target and firmware options only matter once --hil is given."""
    pytester.makepyfile(INNER)
    result = pytester.runpytest(
        "--hil-config", "nope.toml", "--hil-target", "nosuch", "--hil-firmware", "missing.elf",
        "--hil-log-dir", "logs", "--hil-scope", "session", "--hil-timeout", "3",
    )
    result.assert_outcomes(passed=1, skipped=len(SKIPPED))
    assert not (pytester.path / "logs").exists()
    assert not (pytester.path / "hil-logs").exists()


def test_broken_inventory_in_rootdir_is_ignored_without_hil(pytester, hil_toml):
    hil_toml("this is [not toml\n")
    pytester.makepyfile(INNER)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, skipped=len(SKIPPED))


def test_plain_suite_output_is_unchanged(pytester):
    """A suite without hil tests reports exactly as without the plugin."""
    pytester.makepyfile(
        """
        def test_one():
            pass

        def test_two():
            print("hello")
        """
    )
    with_plugin = pytester.runpytest("-rA")
    without_plugin = pytester.runpytest("-rA", "-p", "no:iot_hil", "-p", "no:iot_hil_qemu")
    with_plugin.assert_outcomes(passed=2)
    without_plugin.assert_outcomes(passed=2)

    def body(result):
        # Drop the lines that legitimately differ (timings, plugin list).
        return [
            line for line in result.stdout.lines
            if not line.startswith(("plugins:", "platform ", "rootdir:", "cachedir:")) and " in " not in line
        ]

    assert body(with_plugin) == body(without_plugin)
