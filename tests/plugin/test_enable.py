"""Turning the plugin on (--hil, ini, environment), its markers and target pinning."""

from __future__ import annotations

import pytest

# `hil_run` resolves the run (options, inventory, firmware) without booting anything.
INNER = """
import pytest

@pytest.mark.hil
def test_marked(hil_run):
    assert hil_run.options.enabled
    assert hil_run.description.name == "qemu-mps2-an385"

def test_plain():
    pass
"""


@pytest.mark.needs_qemu
@pytest.mark.parametrize(
    ("args", "ini", "env", "enabled"),
    [
        pytest.param(["--hil"], None, None, True, id="cli"),
        pytest.param([], "hil = true", None, True, id="ini-true"),
        pytest.param([], "hil = false", None, False, id="ini-false"),
        pytest.param([], None, None, False, id="nothing"),
        pytest.param([], None, "1", True, id="env-1"),
        pytest.param([], None, "true", True, id="env-true"),
        pytest.param([], None, "yes", True, id="env-yes"),
        pytest.param([], None, "0", False, id="env-0"),
        # The environment beats the ini file ...
        pytest.param([], "hil = true", "0", False, id="env-0-beats-ini-true"),
        pytest.param([], "hil = false", "1", True, id="env-1-beats-ini-false"),
        # ... and the command line beats both.
        pytest.param(["--hil"], "hil = false", "0", True, id="cli-beats-env-0"),
    ],
)
def test_enabling(pytester, monkeypatch, args, ini, env, enabled):
    if ini is not None:
        pytester.makeini(f"[pytest]\n{ini}\n")
    if env is not None:
        monkeypatch.setenv("PYTEST_HIL", env)
    pytester.makepyfile(INNER)
    result = pytester.runpytest("-rs", *args)
    if enabled:
        result.assert_outcomes(passed=2)
        result.stdout.fnmatch_lines(["hil: target qemu-mps2-an385 (backend qemu, from <built-in>), scope function"])
    else:
        result.assert_outcomes(passed=1, skipped=1)
        result.stdout.fnmatch_lines(["SKIPPED *--hil*"])
        assert "hil: target" not in result.stdout.str()


@pytest.mark.needs_qemu
def test_report_header_names_target_firmware_and_log_dir(pytester, demo_firmware):
    pytester.makepyfile(INNER)
    result = pytester.runpytest("--hil", "--hil-firmware", str(demo_firmware.elf), "--hil-log-dir", "transcripts")
    result.assert_outcomes(passed=2)
    sha = demo_firmware.sha256(demo_firmware.elf)
    result.stdout.fnmatch_lines(
        [
            "hil: target qemu-mps2-an385 (backend qemu, from <built-in>), scope function",
            f"hil: firmware {demo_firmware.elf} (sha256 {sha[:16]}*",
            f"hil: transcripts in {pytester.path / 'transcripts'}",
        ]
    )


MARKED = """
import pytest

@pytest.mark.hil
def test_bare(hil_run):
    pass

@pytest.mark.hil(target="qemu")
def test_kwarg(hil_run):
    pass

@pytest.mark.hil("qemu")
def test_positional(hil_run):
    pass

class TestClass:
    pytestmark = pytest.mark.hil

    def test_in_class(self, hil_run):
        pass
"""


def test_markers_pass_strict_markers_without_hil(pytester):
    pytester.makepyfile(MARKED)
    result = pytester.runpytest("--strict-markers")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.assert_outcomes(skipped=4)
    assert "not found in `markers`" not in result.stdout.str()


@pytest.mark.needs_qemu
def test_markers_pass_strict_markers_with_hil(pytester):
    pytester.makepyfile(MARKED)
    result = pytester.runpytest("--strict-markers", "--hil")
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    result.assert_outcomes(passed=4)


def test_strict_markers_is_really_checked(pytester):
    """Control: an unregistered marker does fail under --strict-markers."""
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hill
        def test_typo():
            pass
        """
    )
    result = pytester.runpytest("--strict-markers")
    assert result.ret != pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["*'hill' not found in `markers`*"])


def test_markers_lists_hil(pytester):
    result = pytester.runpytest("--markers")
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(["@pytest.mark.hil: hardware-in-the-loop test; runs only with --hil.*"])


def test_help_lists_every_option_and_ini_name(pytester):
    result = pytester.runpytest("--help")
    assert result.ret == pytest.ExitCode.OK
    out = result.stdout.str()
    assert "hardware-in-the-loop (pytest-iot-hil)" in out
    for option in ("--hil ", "--hil-target", "--hil-config", "--hil-firmware", "--hil-log-dir", "--hil-scope",
                   "--hil-timeout"):
        assert option in out, option
    for ini in ("hil ", "hil_target", "hil_config", "hil_firmware", "hil_log_dir", "hil_scope", "hil_timeout"):
        assert f"  {ini}" in out, ini


PINNED = """
import pytest

@pytest.mark.hil(target="qemu")
def test_pinned_backend(hil_run):
    assert hil_run.description.backend == "qemu"

@pytest.mark.hil(target="qemu-mps2-an385")
def test_pinned_name(hil_run):
    assert hil_run.description.name == "qemu-mps2-an385"

@pytest.mark.hil(target="renode")
def test_pinned_elsewhere(hil_run):
    raise AssertionError("a test pinned to renode ran on qemu")

@pytest.mark.hil("renode-stm32")
def test_pinned_elsewhere_positional(console):
    raise AssertionError("a test pinned to renode-stm32 ran on qemu")
"""


@pytest.mark.needs_qemu
def test_pinning_to_a_target(pytester, junit):
    pytester.makepyfile(PINNED)
    result = pytester.runpytest("--hil", "--junitxml=report.xml", "-rs")
    result.assert_outcomes(passed=2, skipped=2)
    cases = junit(pytester.path / "report.xml")
    for name, pinned in (("test_pinned_elsewhere", "renode"), ("test_pinned_elsewhere_positional", "renode-stm32")):
        reason = cases[name].skipped
        assert reason is not None, name
        assert f"'{pinned}'" in reason, reason
        assert "'qemu-mps2-an385'" in reason, reason
        assert "--hil-target" in reason, reason
    assert cases["test_pinned_backend"].skipped is None
    assert cases["test_pinned_name"].skipped is None


@pytest.mark.needs_qemu
def test_pinning_follows_the_selected_target(pytester, hil_toml, demo_firmware, qemu_target_table):
    """With --hil-target the pin is compared with the chosen target's name."""
    hil_toml(qemu_target_table("bench", demo_firmware.elf) + qemu_target_table("other", demo_firmware.elf))
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hil(target="bench")
        def test_bench(hil_run):
            assert hil_run.description.name == "bench"

        @pytest.mark.hil(target="other")
        def test_other(hil_run):
            assert hil_run.description.name == "other"
        """
    )
    result = pytester.runpytest("--hil", "--hil-target", "other", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED *pinned to target 'bench'; this run uses 'other'*"])
