"""Every configuration mistake is a usage error: exit code 4, one ERROR: line naming
the file, key or program to fix, and no traceback."""

from __future__ import annotations


import pytest
from unreached import INNER


QEMU_TARGET = """
[targets.board]
backend = "qemu"
machine = "mps2-an385"
"""


def _run(pytester, *args):
    pytester.makepyfile(INNER)
    return pytester.runpytest(*args)


# -- the inventory --------------------------------------------------------------


def test_inventory_file_missing(pytester, usage_error):
    result = _run(pytester, "--hil", "--hil-config", "nope.toml")
    usage_error(result, str(pytester.path / "nope.toml"), "does not exist", "--hil-config")


def test_inventory_file_missing_from_ini(pytester, usage_error):
    pytester.makeini("[pytest]\nhil_config = lab/nope.toml\n")
    result = _run(pytester, "--hil")
    usage_error(result, str(pytester.path / "lab" / "nope.toml"), "does not exist")


def test_inventory_is_a_directory(pytester, usage_error):
    (pytester.path / "inv").mkdir()
    result = _run(pytester, "--hil", "--hil-config", "inv")
    usage_error(result, str(pytester.path / "inv"), "cannot read inventory file")


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("[targets.board\nbackend = 'qemu'\n", id="unclosed-table"),
        pytest.param("default_target = \n", id="missing-value"),
    ],
)
def test_inventory_is_not_valid_toml(pytester, hil_toml, usage_error, text):
    path = hil_toml(text)  # in the rootdir: picked up without --hil-config
    result = _run(pytester, "--hil")
    usage_error(result, str(path), "is not valid TOML")


def test_inventory_is_not_utf8(pytester, hil_toml, usage_error):
    path = hil_toml("# B\xfcro bench, saved as Latin-1\n".encode("latin-1") + QEMU_TARGET.encode())
    result = _run(pytester, "--hil")
    usage_error(result, str(path))


def test_inventory_unknown_top_level_key(pytester, hil_toml, usage_error):
    path = hil_toml('default_targt = "board"\ncolour = "red"\n' + QEMU_TARGET)
    result = _run(pytester, "--hil")
    usage_error(result, str(path), "unknown top-level key(s) colour, default_targt")


def test_inventory_targets_not_a_table(pytester, hil_toml, usage_error):
    path = hil_toml('targets = "board"\n')
    result = _run(pytester, "--hil")
    usage_error(result, str(path), "`targets` must be a table")


def test_inventory_target_not_a_table(pytester, hil_toml, usage_error):
    path = hil_toml('[targets]\nboard = "qemu"\n')
    result = _run(pytester, "--hil")
    usage_error(result, str(path), "[targets.board] must be a table")


def test_inventory_target_without_backend(pytester, hil_toml, usage_error):
    path = hil_toml('[targets.board]\nmachine = "mps2-an385"\n')
    result = _run(pytester, "--hil")
    usage_error(result, f"{path}: [targets.board] has no `backend` key", 'backend = "qemu"')


def test_inventory_unknown_backend_lists_the_available_ones(pytester, hil_toml, usage_error):
    path = hil_toml('[targets.board]\nbackend = "simics"\n')
    result = _run(pytester, "--hil")
    usage_error(result, str(path), "'board'", "backend 'simics'", "available: pyocd, qemu, renode)")


def test_unknown_target_lists_the_known_ones(pytester, usage_error):
    result = _run(pytester, "--hil", "--hil-target", "nosuch")
    usage_error(result, "unknown target 'nosuch'", "choose one of qemu-mps2-an385", "--hil-target")


def test_unknown_target_lists_inventory_targets_too(pytester, hil_toml, usage_error):
    path = hil_toml(QEMU_TARGET)
    result = _run(pytester, "--hil", "--hil-target", "nosuch")
    usage_error(result, "unknown target 'nosuch'", f"in {path}", "board, qemu-mps2-an385")


def test_unknown_target_from_ini(pytester, usage_error):
    pytester.makeini("[pytest]\nhil_target = nosuch\n")
    result = _run(pytester, "--hil")
    usage_error(result, "unknown target 'nosuch'")


def test_default_target_names_nothing(pytester, hil_toml, usage_error):
    path = hil_toml('default_target = "ghost"\n' + QEMU_TARGET)
    result = _run(pytester, "--hil")
    usage_error(result, str(path), "default_target = 'ghost' names no target", "board, qemu-mps2-an385")


@pytest.mark.parametrize("value", ['["board"]', '{ name = "board" }'])
def test_default_target_of_the_wrong_type(pytester, hil_toml, usage_error, value):
    path = hil_toml(f"default_target = {value}\n" + QEMU_TARGET)
    result = _run(pytester, "--hil")
    usage_error(result, str(path), "default_target")


@pytest.mark.parametrize(
    ("table", "where"),
    [
        pytest.param("[targets.board.regions]\nboot = { start = -1, size = 0x100 }\n", "regions.boot.start",
                     id="negative-start"),
        pytest.param('[targets.board.regions]\nboot = { start = "zero", size = 0x100 }\n', "regions.boot.start",
                     id="string-start"),
        pytest.param("[targets.board.regions]\nboot = { start = 0, size = 0 }\n", "regions.boot.size must not be 0",
                     id="zero-size"),
        pytest.param("[targets.board.regions]\nboot = { start = 0, size = true }\n", "regions.boot.size",
                     id="bool-size"),
        pytest.param("[targets.board.regions]\nboot = { start = 0 }\n", "regions.boot must be a table like",
                     id="missing-size"),
        pytest.param("[targets.board.regions]\nboot = { start = 0, size = 4, colour = 1 }\n",
                     "regions.boot must be a table like", id="unknown-key"),
        pytest.param("[targets.board.regions]\nboot = 5\n", "regions.boot must be a table like", id="not-a-table"),
        pytest.param('regions = "boot"\n', "regions must be a table", id="regions-not-a-table"),
        pytest.param("[targets.board.flash]\nstart = 0\nsize = -4\n", "flash.size", id="flash-negative-size"),
    ],
)
def test_region_with_a_bad_value(pytester, hil_toml, usage_error, table, where):
    path = hil_toml(QEMU_TARGET + table)
    result = _run(pytester, "--hil")
    usage_error(result, str(path), f"[targets.board].{where}")


@pytest.mark.parametrize(
    ("line", "where"),
    [
        pytest.param("erased_byte = 0x100", "erased_byte must be a byte value", id="erased-byte"),
        pytest.param('load_address = "0x10000"', "load_address must be a non-negative integer", id="load-address"),
        pytest.param("firmware = 7", "firmware must be a path string", id="firmware-type"),
    ],
)
def test_target_common_key_with_a_bad_value(pytester, hil_toml, usage_error, line, where):
    path = hil_toml(QEMU_TARGET + line + "\n")
    result = _run(pytester, "--hil")
    usage_error(result, str(path), f"[targets.board].{where}")


# -- the QEMU backend's own keys -----------------------------------------------


def test_qemu_target_without_machine(pytester, hil_toml, usage_error):
    path = hil_toml('[targets.board]\nbackend = "qemu"\n')
    result = _run(pytester, "--hil")
    usage_error(result, str(path), "'board' needs `machine", "qemu-system-arm -M help")


def test_qemu_extra_args_not_a_list(pytester, hil_toml, usage_error):
    path = hil_toml(QEMU_TARGET + 'extra_args = "-d guest_errors"\n')
    result = _run(pytester, "--hil")
    usage_error(result, str(path), "`extra_args` must be a list of strings")


def test_qemu_program_missing_from_inventory(pytester, hil_toml, usage_error):
    path = hil_toml(QEMU_TARGET + 'qemu = "no-such-qemu"\n')
    result = _run(pytester, "--hil")
    usage_error(result, "no-such-qemu was not found on PATH", "'board'", str(path), "apt-get install qemu-system-arm")


def test_qemu_program_missing_from_path(pytester, usage_error, monkeypatch, tmp_path):
    """The built-in target with an empty PATH, in a real child process."""
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    pytester.makepyfile(INNER)
    result = pytester.runpytest_subprocess("--hil")
    usage_error(result, "qemu-system-arm was not found on PATH", "'qemu-mps2-an385'", "<built-in>")


@pytest.mark.needs_qemu
@pytest.mark.parametrize("line", ['firmwre = "fw/demo-v0.elf"', 'timeout = "soon"'])
def test_qemu_backend_rejects_unknown_or_bad_keys(pytester, hil_toml, usage_error, demo_firmware, line):
    path = hil_toml(QEMU_TARGET + f'firmware = "{demo_firmware.elf}"\n' + line + "\n")
    result = _run(pytester, "--hil", "--hil-timeout", "1")
    usage_error(result, str(path), line.split()[0])


# -- firmware -------------------------------------------------------------------


@pytest.mark.needs_qemu
def test_firmware_missing(pytester, usage_error):
    result = _run(pytester, "--hil", "--hil-firmware", "missing.elf")
    usage_error(result, f"firmware file {pytester.path / 'missing.elf'} does not exist", "--hil-firmware")


@pytest.mark.needs_qemu
def test_firmware_missing_from_inventory(pytester, hil_toml, usage_error):
    hil_toml(QEMU_TARGET + 'firmware = "build/gone.elf"\n')
    result = _run(pytester, "--hil")
    # Relative to the inventory file.
    usage_error(result, f"firmware file {pytester.path / 'build' / 'gone.elf'} does not exist")


@pytest.mark.needs_qemu
def test_firmware_neither_elf_hex_nor_bin(pytester, usage_error):
    (pytester.path / "app.srec").write_text("S00600004844521B\n")
    result = _run(pytester, "--hil", "--hil-firmware", "app.srec")
    usage_error(result, str(pytester.path / "app.srec"), "neither an ELF file, an Intel HEX file nor a raw .bin image")


@pytest.mark.parametrize("text, why", [(":020000040000FA\n:00000001FF\n", "holds no data records"),
                                       (":zz\n", "is not valid Intel HEX")])
def test_firmware_hex_without_data_or_broken(pytester, usage_error, text, why):
    (pytester.path / "app.hex").write_text(text)
    result = _run(pytester, "--hil", "--hil-firmware", "app.hex")
    usage_error(result, str(pytester.path / "app.hex"), why)


@pytest.mark.needs_qemu
def test_firmware_empty(pytester, usage_error):
    (pytester.path / "empty.bin").write_bytes(b"")
    result = _run(pytester, "--hil", "--hil-firmware", "empty.bin")
    usage_error(result, str(pytester.path / "empty.bin"), "is empty")


@pytest.mark.needs_qemu
@pytest.mark.parametrize(
    ("size", "why"),
    [
        pytest.param(40, "truncated header", id="header"),
        pytest.param(80, "program header table runs past the end of the file", id="program-headers"),
        pytest.param(0x1000 + 0x40, "runs past the end of the file (truncated?)", id="segment"),
    ],
)
def test_firmware_truncated_elf(pytester, usage_error, demo_firmware, size, why):
    raw = demo_firmware.elf.read_bytes()
    assert len(raw) > size
    (pytester.path / "cut.elf").write_bytes(raw[:size])
    result = _run(pytester, "--hil", "--hil-firmware", "cut.elf")
    usage_error(result, str(pytester.path / "cut.elf"), "is not a usable ELF file", why)


@pytest.mark.needs_qemu
def test_firmware_64bit_elf(pytester, usage_error, demo_firmware):
    raw = bytearray(demo_firmware.elf.read_bytes())
    raw[4] = 2  # ELFCLASS64
    (pytester.path / "wide.elf").write_bytes(bytes(raw))
    result = _run(pytester, "--hil", "--hil-firmware", "wide.elf")
    usage_error(result, "wide.elf", "only 32-bit ELF")


# -- scope and timeout ----------------------------------------------------------


def test_scope_bad_ini_value(pytester, usage_error):
    pytester.makeini("[pytest]\nhil_scope = forever\n")
    result = _run(pytester, "--hil")
    usage_error(result, "hil_scope = 'forever' is not one of function, module, session")


def test_scope_bad_command_line_value(pytester, usage_error):
    result = _run(pytester, "--hil", "--hil-scope", "forever")
    usage_error(result, "--hil-scope", "invalid choice: 'forever'")


@pytest.mark.parametrize("value", ["soon", "0", "-3", "10s"])
def test_timeout_bad_ini_value(pytester, usage_error, value):
    pytester.makeini(f"[pytest]\nhil_timeout = {value}\n")
    result = _run(pytester, "--hil")
    usage_error(result, f"hil_timeout = '{value}' must be a positive number of seconds")


@pytest.mark.parametrize("value", ["0", "-1"])
def test_timeout_bad_command_line_value(pytester, usage_error, value):
    result = _run(pytester, "--hil", f"--hil-timeout={value}")
    usage_error(result, "hil_timeout", "must be a positive number of seconds")


def test_timeout_not_a_number_on_the_command_line(pytester, usage_error):
    result = _run(pytester, "--hil", "--hil-timeout", "soon")
    usage_error(result, "--hil-timeout", "invalid float value: 'soon'")


@pytest.mark.needs_qemu
@pytest.mark.parametrize("value", ["nan", "inf"])
def test_timeout_must_be_finite(pytester, usage_error, value):
    pytester.makeini(f"[pytest]\nhil_timeout = {value}\n")
    result = _run(pytester, "--hil")
    usage_error(result, "hil_timeout")


# -- usage errors stop xdist runs just the same ----------------------------------


def test_usage_error_under_xdist(pytester, usage_error):
    result = _run(pytester, "--hil", "--hil-config", "nope.toml", "-n", "2")
    usage_error(result, "nope.toml", "does not exist")
