"""Option resolution: the rootdir's hil.toml, ini twins of every option, CLI over ini."""

from __future__ import annotations

import json

import pytest

from pytest_iot_hil.plugin.run import log_file_name

pytestmark = pytest.mark.needs_qemu  # a --hil run validates its QEMU target

# Dumps what the run resolved, for the outer test to check.
DUMP = """
import json
import pytest

@pytest.mark.hil
def test_dump(hil_run, request):
    o = hil_run.options
    data = {
        "enabled": o.enabled,
        "target": o.target,
        "config_path": str(o.config_path) if o.config_path else None,
        "firmware_option": str(o.firmware) if o.firmware else None,
        "log_dir": str(o.log_dir),
        "scope": o.scope,
        "timeout": o.timeout,
        "description": hil_run.description.name,
        "source": hil_run.description.source,
        "description_firmware": str(hil_run.description.firmware),
        "firmware": str(hil_run.firmware.path) if hil_run.firmware else None,
        "sha256": hil_run.firmware.sha256 if hil_run.firmware else None,
    }
    with open(request.config.rootpath / "dump.json", "w") as fh:
        json.dump(data, fh)
"""


def _dump(pytester):
    return json.loads((pytester.path / "dump.json").read_text())


def _two_targets(fw_ref: str) -> str:
    return f"""
[targets.first]
backend = "qemu"
machine = "mps2-an385"
firmware = "{fw_ref}"
flash = {{ start = 0x0, size = 0x100000 }}

[targets.second]
backend = "qemu"
machine = "mps2-an385"
firmware = "{fw_ref}"
flash = {{ start = 0x0, size = 0x100000 }}
"""


def test_defaults(pytester):
    pytester.makepyfile(DUMP)
    result = pytester.runpytest("--hil")
    result.assert_outcomes(passed=1)
    d = _dump(pytester)
    assert d["description"] == "qemu-mps2-an385" and d["source"] == "<built-in>"
    assert d["config_path"] is None and d["target"] is None and d["firmware_option"] is None
    assert d["scope"] == "function" and d["timeout"] == 10.0
    assert d["log_dir"] == str(pytester.path / "hil-logs")
    # The built-in target boots the firmware bundled with the package.
    from pytest_iot_hil.devices.demo.layout import builtin_target

    bundled = builtin_target().firmware
    assert bundled.is_file()
    assert d["firmware"] == str(bundled)


def test_rootdir_hil_toml_is_picked_up(pytester, hil_toml, demo_firmware):
    # Firmware paths in an inventory are relative to the inventory file.
    path = hil_toml(_two_targets("fw/demo-v0.elf"))
    pytester.makepyfile(DUMP)
    result = pytester.runpytest("--hil")
    result.assert_outcomes(passed=1)
    d = _dump(pytester)
    assert d["config_path"] == str(path)
    # Without default_target the inventory's first target is the default.
    assert d["description"] == "first"
    assert d["source"] == str(path)
    assert d["firmware"] == str(demo_firmware.elf)
    assert d["sha256"] == demo_firmware.sha256(demo_firmware.elf)
    result.stdout.fnmatch_lines([f"hil: target first (backend qemu, from {path}), scope function"])


def test_default_target_key(pytester, hil_toml, demo_firmware):
    hil_toml('default_target = "second"\n' + _two_targets("fw/demo-v0.elf"))
    pytester.makepyfile(DUMP)
    pytester.runpytest("--hil").assert_outcomes(passed=1)
    assert _dump(pytester)["description"] == "second"


def test_builtin_target_stays_selectable_next_to_an_inventory(pytester, hil_toml, demo_firmware):
    hil_toml(_two_targets("fw/demo-v0.elf"))
    pytester.makepyfile(DUMP)
    pytester.runpytest("--hil", "--hil-target", "qemu-mps2-an385").assert_outcomes(passed=1)
    assert _dump(pytester)["description"] == "qemu-mps2-an385"


def test_hil_config_beats_rootdir_hil_toml(pytester, hil_toml, demo_firmware):
    hil_toml("this is not [toml\n")  # would be a usage error if it were read
    other = hil_toml(_two_targets("../fw/demo-v0.elf"), name="lab/other.toml")
    pytester.makepyfile(DUMP)
    pytester.runpytest("--hil", "--hil-config", "lab/other.toml").assert_outcomes(passed=1)
    d = _dump(pytester)
    assert d["config_path"] == str(other)
    assert d["firmware"] == str(pytester.path / "lab" / ".." / "fw" / "demo-v0.elf")


def test_every_ini_twin(pytester, hil_toml, demo_firmware):
    """hil, hil_config, hil_target, hil_firmware, hil_log_dir, hil_scope, hil_timeout - and they take effect."""
    inventory = hil_toml(_two_targets("../fw/demo-v0.elf"), name="lab/inventory.toml")
    pytester.makeini(
        """
        [pytest]
        hil = true
        hil_config = lab/inventory.toml
        hil_target = second
        hil_firmware = fw/demo-v0.bin
        hil_log_dir = transcripts
        hil_scope = module
        hil_timeout = 0.5
        """
    )
    pytester.makepyfile(DUMP)
    pytester.makepyfile(
        test_effects="""
        import json
        import time

        import pytest
        from pytest_iot_hil import ConsoleTimeout

        seen = []

        @pytest.mark.hil
        def test_first(hil_target, console):
            console.expect_exact("app v1.0.0 slot=A")
            assert console.timeout == 0.5
            started = time.monotonic()
            with pytest.raises(ConsoleTimeout):
                console.expect("never printed")
            seen.append((id(hil_target), hil_target.boots, time.monotonic() - started, hil_target.name))

        @pytest.mark.hil
        def test_second(hil_target, console):
            console.expect_exact("app v1.0.0 slot=A")
            seen.append((id(hil_target), hil_target.boots, 0.0, hil_target.name))
            with open("effects.json", "w") as fh:
                json.dump(seen, fh)
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)

    d = _dump(pytester)
    assert d["enabled"] is True
    assert d["config_path"] == str(inventory)
    assert d["target"] == "second" and d["description"] == "second"
    assert d["firmware_option"] == str(pytester.path / "fw" / "demo-v0.bin")
    assert d["firmware"] == str(pytester.path / "fw" / "demo-v0.bin")
    assert d["sha256"] == demo_firmware.sha256(demo_firmware.bin)
    assert d["log_dir"] == str(pytester.path / "transcripts")
    assert d["scope"] == "module"
    assert d["timeout"] == 0.5

    (first, second) = json.loads((pytester.path / "effects.json").read_text())
    assert first[3] == second[3] == "second"
    assert first[0] == second[0], "hil_scope = module did not share the target within the module"
    assert (first[1], second[1]) == (1, 2), "the shared target was not reset between tests"
    assert 0.4 <= first[2] < 3.0, f"hil_timeout = 0.5 but expect() gave up after {first[2]:.2f} s"

    logs = sorted(p.name for p in (pytester.path / "transcripts").iterdir())
    assert logs == sorted([log_file_name("test_effects.py::test_first"), log_file_name("test_effects.py::test_second")])
    assert not (pytester.path / "hil-logs").exists()


def test_command_line_beats_ini(pytester, hil_toml, demo_firmware):
    hil_toml(_two_targets("../fw/demo-v0.elf"), name="lab/inventory.toml")
    alt = hil_toml('default_target = "first"\n' + _two_targets("../fw/demo-v0.elf"), name="lab/alt.toml")
    pytester.makeini(
        """
        [pytest]
        hil = true
        hil_config = lab/inventory.toml
        hil_target = second
        hil_firmware = fw/demo-v0.bin
        hil_log_dir = transcripts
        hil_scope = module
        hil_timeout = 0.5
        """
    )
    pytester.makepyfile(DUMP)
    result = pytester.runpytest(
        "--hil-config", "lab/alt.toml", "--hil-target", "first", "--hil-firmware", "fw/demo-v0.elf",
        "--hil-log-dir", "elsewhere", "--hil-scope", "session", "--hil-timeout", "2.5",
    )
    result.assert_outcomes(passed=1)
    d = _dump(pytester)
    assert d["config_path"] == str(alt)
    assert d["description"] == "first"
    assert d["firmware"] == str(demo_firmware.elf)
    assert d["log_dir"] == str(pytester.path / "elsewhere")
    assert d["scope"] == "session"
    assert d["timeout"] == 2.5


def test_ini_paths_are_relative_to_the_rootdir(pytester, hil_toml, demo_firmware):
    """Run from a subdirectory: ini paths still resolve against the rootdir."""
    hil_toml(_two_targets("../fw/demo-v0.elf"), name="lab/inventory.toml")
    pytester.makeini(
        """
        [pytest]
        hil = true
        hil_config = lab/inventory.toml
        hil_firmware = fw/demo-v0.bin
        hil_log_dir = transcripts
        """
    )
    sub = pytester.mkpydir("sub")
    (sub / "test_dump.py").write_text(DUMP)
    monkeypatch = pytest.MonkeyPatch()
    try:
        monkeypatch.chdir(sub)
        result = pytester.runpytest()
    finally:
        monkeypatch.undo()
    result.assert_outcomes(passed=1)
    d = _dump(pytester)
    assert d["config_path"] == str(pytester.path / "lab" / "inventory.toml")
    assert d["firmware"] == str(pytester.path / "fw" / "demo-v0.bin")
    assert d["log_dir"] == str(pytester.path / "transcripts")
