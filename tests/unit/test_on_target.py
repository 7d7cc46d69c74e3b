"""The demo's on-target test images in QEMU: every case its own item, outcome and JUnit entry.

``firmware_fixtures/build/unit-*.elf`` (``src/unit/``): ``unit-unity`` (Unity,
pass/fail/ignore), ``unit-ztest`` (ztest, a HardFault in the middle, then the
runner's reset), ``unit-fixture`` (Unity Fixture verbose, a case that hangs).
"""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_iot_hil.devices.demo.layout import firmware_dir
from pytest_iot_hil.unit.elf import Symbolizer, list_cases

BUILD = firmware_dir()
TESTS = textwrap.dedent(f'''
    import pytest

    @pytest.mark.hil_unit(firmware="{BUILD}/unit-unity.elf", framework="unity")
    def test_unity():
        pass

    @pytest.mark.hil_unit(firmware="{BUILD}/unit-ztest.elf", framework="ztest")
    def test_ztest():
        pass

    @pytest.mark.hil_unit(firmware="{BUILD}/unit-fixture.elf", framework="unity-fixture", case_timeout=2)
    def test_fixture():
        pass
''')

EXPECTED = {
    "unit-unity::test_codec::test_crc32_check_value": "passed",
    "unit-unity::test_codec::test_sha256_of_abc": "passed",
    "unit-unity::test_codec::test_strfmt_truncates": "passed",
    "unit-unity::test_codec::test_deliberately_wrong": "failed",
    "unit-unity::test_codec::test_not_ready_yet": "skipped",
    "unit-unity::summary": "passed",
    "unit-ztest::codec::test_crc32_check_value": "passed",
    "unit-ztest::codec::test_deliberately_wrong": "failed",
    "unit-ztest::codec::test_not_ready_yet": "skipped",
    "unit-ztest::faults::test_still_fine": "passed",
    "unit-ztest::faults::test_undefined_instruction": "failed",
    "unit-ztest::faults::test_after_the_crash": "error",
    "unit-ztest::summary": "failed",
    "unit-fixture::codec::test_crc32_check_value": "passed",
    "unit-fixture::faults::test_spins_forever": "failed",
    "unit-fixture::faults::test_after_the_hang": "error",
    "unit-fixture::summary": "failed",
}


def test_the_elf_lists_the_cases_of_each_framework():
    assert [(c.suite, c.name, c.file) for c in list_cases(BUILD / "unit-unity.elf", "unity")] == [
        ("test_codec", n, "test_codec.c") for n in ("test_crc32_check_value", "test_sha256_of_abc",
                                                     "test_strfmt_truncates", "test_deliberately_wrong",
                                                     "test_not_ready_yet")]
    assert {(c.suite, c.name) for c in list_cases(BUILD / "unit-ztest.elf", "ztest")} == {
        ("codec", "test_crc32_check_value"), ("codec", "test_deliberately_wrong"), ("codec", "test_not_ready_yet"),
        ("faults", "test_still_fine"), ("faults", "test_undefined_instruction"), ("faults", "test_after_the_crash")}
    assert {(c.suite, c.name) for c in list_cases(BUILD / "unit-fixture.elf", "unity-fixture", ("codec", "faults"))} == {
        ("codec", "test_crc32_check_value"), ("faults", "test_spins_forever"), ("faults", "test_after_the_hang")}
    assert list_cases(BUILD / "factory-v1.bin", "unity") == []  # not an ELF: the run's output is the listing


def test_the_symbolizer_names_function_and_line():
    described = Symbolizer(BUILD / "unit-ztest.elf")
    from elftools.elf.elffile import ELFFile

    with open(BUILD / "unit-ztest.elf", "rb") as fh:
        symbol = ELFFile(fh).get_section_by_name(".symtab").get_symbol_by_name("test_undefined_instruction")[0]
    assert described.describe(symbol["st_value"]).startswith("test_undefined_instruction+0x0 (test_faults.c:")
    assert described.describe(0x1FFFFFF0) == "0x1ffffff0"


@pytest.mark.needs_qemu
def test_every_case_is_an_item_with_its_outcome_message_and_junit_entry(pytester):
    pytester.makepyfile(test_tests=TESTS)
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider", "-rA", "--junitxml=report.xml")
    outcomes = {}
    for line in result.stdout.lines:
        for word in ("PASSED", "FAILED", "ERROR", "SKIPPED"):
            if line.startswith(word + " test_tests.py::"):
                outcomes[line.split()[1].split("test_tests.py::")[1]] = word.lower().replace("ed", "ed")
    skipped = [line for line in result.stdout.lines if line.startswith("SKIPPED [")]
    result.assert_outcomes(passed=7, failed=6, skipped=2, errors=2)
    for name, outcome in EXPECTED.items():
        if outcome != "skipped":
            assert outcomes.get(name) == outcome, (name, outcomes.get(name), result.stdout.str())
    assert any("test_codec.c:46: skipped on the target" in line for line in skipped)

    out = result.stdout.str()
    assert "unit-unity::test_codec::test_deliberately_wrong: test_codec.c:41: Expected 0x00001234 Was 0x00001235" in out
    assert "unit-ztest::faults::test_undefined_instruction: HardFault (pc=0x" in out
    assert "in test_undefined_instruction+0x0 (test_faults.c:13)" in out
    assert "not run: the device crashed during faults::test_undefined_instruction" in out
    assert "unit-fixture::faults::test_spins_forever: no output for 2 s (case_timeout) while this case ran" in out
    assert "not run: the device hung in faults::test_spins_forever" in out

    root = ET.parse(pytester.path / "report.xml").getroot()
    by_id = {(tc.get("classname"), tc.get("name")): tc for tc in root.iter("testcase")}
    assert len(by_id) == len(EXPECTED)
    wrong = by_id[("test_tests.unit-unity.test_codec", "test_deliberately_wrong")]
    assert "Expected 0x00001234 Was 0x00001235" in wrong.find("failure").get("message")
    assert ("hil_unit_source", "test_codec.c:41") in [(p.get("name"), p.get("value")) for p in wrong.iter("property")]
    crashed = by_id[("test_tests.unit-ztest.faults", "test_after_the_crash")]
    assert "not run: the device crashed" in crashed.find("error").get("message")
    summary_out = "".join(so.text or "" for so in by_id[("test_tests.unit-ztest", "summary")].iter("system-out"))
    assert "*** HardFault pc=0x" in summary_out and summary_out.count("unit runner: starting") == 2


@pytest.mark.needs_qemu
def test_k_selects_one_on_target_case(pytester):
    pytester.makepyfile(test_tests=TESTS)
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider", "-k", "test_sha256_of_abc", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*test_tests.py::unit-unity::test_codec::test_sha256_of_abc PASSED*"])


@pytest.mark.needs_qemu
def test_one_boot_per_image_is_shared_by_xdist_workers(pytester, tmp_path):
    pytester.makeini(f"[pytest]\ncache_dir = {tmp_path / 'cache'}\n")
    pytester.makepyfile(test_tests=TESTS)
    result = pytester.runpytest_subprocess("--hil", "-n", "2", "-p", "no:randomly")
    result.assert_outcomes(passed=7, failed=6, skipped=2, errors=2)
    runs = list((tmp_path / "cache" / "d" / "hil-unit").glob("*/*.json"))
    assert sorted(p.name.split("-")[1] for p in runs) == ["fixture", "unity", "ztest"]  # one recorded run each
    for log in ("unit-unity", "unit-ztest", "unit-fixture"):
        text = (pytester.path / "hil-logs" / "unit" / f"{log}.log").read_text()
        assert text.count("unit runner: starting") == (2 if log == "unit-ztest" else 1), log  # ztest: + its reset
    doc = json.loads(next(p for p in runs if "unity" in p.name).read_text())
    assert doc["framework"] == "unity" and len(doc["cases"]) == 5


def test_without_hil_an_image_is_one_skipped_item(pytester):
    pytester.makepyfile(test_tests=TESTS)
    result = pytester.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=3)
    result.stdout.fnmatch_lines(["*on-target unit tests: run pytest with --hil to enable*"])


@pytest.mark.needs_qemu
def test_images_from_the_ini_option(pytester):
    images = pytester.path / "images"
    images.mkdir()
    (images / "unit-unity.elf").write_bytes((BUILD / "unit-unity.elf").read_bytes())
    pytester.makeini("[pytest]\nhil_unit_images = images/*.elf unity\n")
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider", "images", "-v")
    result.assert_outcomes(passed=4, failed=1, skipped=1)
    result.stdout.fnmatch_lines(["*images/unit-unity.elf::test_codec::test_crc32_check_value PASSED*"])


def test_a_bad_marker_is_one_failing_item_with_the_reason(pytester):
    pytester.makepyfile('''
import pytest
@pytest.mark.hil_unit(firmware="x.elf", framework="cunit")
def test_bad():
    pass
@pytest.mark.hil_unit(firmware="missing.elf")
def test_missing():
    pass
''')
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*framework='cunit' is not one of unity, unity-fixture, ztest*",
                                 "*missing.elf: the test image does not exist*"])
    assert "Traceback" not in result.stdout.str()
