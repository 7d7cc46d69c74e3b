"""The deliberately buggy builds of the demo firmware (firmware_fixtures/README.md).

Each variant is the same source compiled with one ``-DBUG_<ID>`` switch. Here:

* the host test program (tests/firmware/host/) compiled with the switch
  fails at least one of the power-cut campaigns (a cut before every flash
  operation of a whole update, clean and torn), while the correct build
  passes them: the campaigns find each bug;
* firmware_fixtures/build/buggy/MANIFEST.json agrees with the Makefile, the
  sources and the built files.

What each variant breaks and where the QEMU campaign sees it is written down
in the manifest (``expected_invariants``, ``how``, ``example_cut``).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from pytest_iot_hil.devices.demo.image_check import check_demo_image

ROOT = Path(__file__).resolve().parents[2]
FW = ROOT / "firmware_fixtures"
CORE = FW / "src" / "core"
HOST = Path(__file__).resolve().parent / "host"
BUGGY = FW / "build" / "buggy"
MANIFEST = json.loads((BUGGY / "MANIFEST.json").read_text())
VARIANTS = [v["id"] for v in MANIFEST["variants"]]
#: Variants the attack tests catch, not the power cuts (B11: signature check fail-open).
ATTACK_VARIANTS = [v["id"] for v in MANIFEST.get("attack_variants", [])]

CORE_SOURCES = ["strfmt", "linebuf", "crc32", "sha256", "journal", "image",
                "bootflow", "ota", "report"]
POWER_CUT_CASES = ["power_cut_every_op", "power_cut_every_op_torn"]
INVARIANTS = {f"I{n}" for n in range(1, 13)}
FLASH_SIZE = 0x100000
BOOTLOADER_SIZE = 0xC000
SLOT = {"A": (0x10000, 0x78000), "B": (0x88000, 0x78000)}


@pytest.fixture(scope="module")
def host_build(tmp_path_factory):
    """``host_build(variant)``: the host test program built with ``-DBUG_<variant>`` (None: the correct one)."""
    cc = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if not cc:
        pytest.skip("no host C compiler (gcc) on PATH: install gcc to run the firmware host tests")
    out_dir = tmp_path_factory.mktemp("buggy-hosttest")
    built: dict[str | None, Path] = {}

    def build(variant: str | None) -> Path:
        if variant not in built:
            out = out_dir / f"hosttest-{variant or 'correct'}"
            cmd = [cc, "-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-I", str(CORE), "-I", str(HOST)]
            if variant:
                cmd.append(f"-DBUG_{variant}")
            cmd += [str(CORE / f"{name}.c") for name in CORE_SOURCES]
            cmd += [str(HOST / "simflash.c"), str(HOST / "hostsig.c"), str(HOST / "sigcheck_standin.c"),
                    str(HOST / "test_bootstate.c"), "-o", str(out)]
            res = subprocess.run(cmd, capture_output=True, text=True)
            assert res.returncode == 0, f"host test program with {variant or 'no bug'} did not compile:\n{res.stderr}"
            built[variant] = out
        return built[variant]

    return build


def run_power_cuts(binary: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), "run", *POWER_CUT_CASES], capture_output=True, text=True, timeout=300)


def test_correct_build_passes_the_power_cut_campaigns(host_build):
    res = run_power_cuts(host_build(None))
    assert res.returncode == 0, f"the correct firmware fails a power-cut campaign:\n{res.stdout}{res.stderr}"
    assert [line for line in res.stdout.splitlines() if line.startswith("ok - ")] == \
        [f"ok - {case}" for case in POWER_CUT_CASES]


@pytest.mark.parametrize("variant", VARIANTS)
def test_power_cut_campaign_finds_the_bug(host_build, variant):
    res = run_power_cuts(host_build(variant))
    failed = [case for case in POWER_CUT_CASES if f"not ok - {case}" in res.stdout.splitlines()]
    assert res.returncode != 0 and failed, \
        f"-DBUG_{variant}: no power-cut campaign failed, the bug went unnoticed:\n{res.stdout}{res.stderr}"
    # The failure is a check after a cut, not a crash of the program.
    assert "after a cut before operation" in res.stdout, res.stdout


# -- the manifest and the built files ------------------------------------------------


def _makefile_variants(name: str = "BUGGY") -> list[str]:
    match = re.search(rf"^{name}\s*:=\s*(.+)$", (FW / "Makefile").read_text(), re.M)
    assert match, f"no `{name} :=` line in firmware_fixtures/Makefile"
    return match.group(1).split()


def test_manifest_lists_the_variants_the_makefile_builds():
    assert sorted(VARIANTS) == sorted(_makefile_variants())
    assert sorted(ATTACK_VARIANTS) == sorted(_makefile_variants("BUGGY_ATTACK")) == ["B11"]
    assert len(VARIANTS) == len(set(VARIANTS)) >= 6
    built = sorted(p.name for p in BUGGY.iterdir() if p.is_dir())
    assert built == sorted(VARIANTS + ATTACK_VARIANTS)


@pytest.mark.parametrize("variant", ATTACK_VARIANTS)
def test_attack_variant_passes_the_power_cuts_but_fails_the_image_checks(host_build, variant):
    """A fail-open signature check is invisible to power cuts (every image is signed) but not to the attack cases."""
    assert run_power_cuts(host_build(variant)).returncode == 0
    res = subprocess.run([str(host_build(variant)), "run", "image_validation_errors", "ota_rejections"],
                         capture_output=True, text=True, timeout=300)
    assert "not ok - image_validation_errors" in res.stdout and "not ok - ota_rejections" in res.stdout, res.stdout
    assert subprocess.run([str(host_build(None)), "run", "image_validation_errors", "ota_rejections"],
                          capture_output=True, text=True, timeout=300).returncode == 0
    entry = next(v for v in MANIFEST["attack_variants"] if v["id"] == variant)
    assert entry["switch"] == f"-DBUG_{variant}" and entry["caught_by"] and entry["description"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_manifest_entry(variant):
    entry = next(v for v in MANIFEST["variants"] if v["id"] == variant)
    assert entry["switch"] == f"-DBUG_{variant}"
    assert entry["description"].strip() and "\n" not in entry["description"]
    assert entry["how"].strip()
    assert entry["expected_invariants"] and set(entry["expected_invariants"]) <= INVARIANTS
    cut = entry["example_cut"]
    assert isinstance(cut["store"], int) and 0 <= cut["store"] < entry["trace"]["stores"]
    assert cut["seen"] and cut["correct_firmware"]["seen"]
    # The switch exists in the sources, in #ifdef blocks.
    uses = [p for p in (FW / "src").rglob("*.[ch]") if f"#ifdef BUG_{variant}\n" in p.read_text()]
    assert uses, f"no `#ifdef BUG_{variant}` in firmware_fixtures/src"


def _version(image: bytes) -> str:
    major, minor, rev = struct.unpack_from("<BBH", image, 20)
    return f"{major}.{minor}.{rev}"


def _extent(image: bytes) -> int:
    hdr, prot, size = struct.unpack_from("<HHI", image, 8)
    unprot = hdr + size + prot
    return unprot + struct.unpack_from("<H", image, unprot + 2)[0]


@pytest.mark.parametrize("variant", VARIANTS + ATTACK_VARIANTS)
def test_factory_image_holds_the_variant_bootloader_and_v1(variant):
    flash = (BUGGY / variant / "factory-v1.bin").read_bytes()
    assert len(flash) == FLASH_SIZE
    base, size = SLOT["A"]
    slot_a = flash[base : base + size]
    assert check_demo_image(slot_a, slot_base=base) == "OK"
    assert _version(slot_a) == "1.0.0"
    assert check_demo_image(slot_a, slot_base=base, floor=2) == "E_ROLLBACK"   # SEC_CNT 1
    end = base + _extent(slot_a)
    assert flash[BOOTLOADER_SIZE:base] == b"\xff" * (base - BOOTLOADER_SIZE)   # erased journal
    assert flash[end:] == b"\xff" * (FLASH_SIZE - end)                         # erased slot B
    assert flash[:4] != b"\xff" * 4                                            # a vector table at 0x0


@pytest.mark.parametrize("variant", VARIANTS + ATTACK_VARIANTS)
def test_v2_update_image_is_signed_for_slot_b(variant):
    image = (BUGGY / variant / "app-v2-slotB.signed.bin").read_bytes()
    base, _ = SLOT["B"]
    assert check_demo_image(image, slot_base=base) == "OK"
    assert check_demo_image(image, slot_base=base, floor=2) == "OK"
    assert check_demo_image(image, slot_base=base, floor=3) == "E_ROLLBACK"   # SEC_CNT 2
    assert _version(image) == "2.0.0"
    assert len(image) == _extent(image)
