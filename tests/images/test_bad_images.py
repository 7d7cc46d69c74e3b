"""firmware_fixtures/build/bad/ is exactly what make_bad_images.py generates,
and each bad image is refused for the reason its name gives."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_iot_hil.devices.demo.image_check import check_demo_image
from pytest_iot_hil.images import read_image, verify_with_imgtool

FIXTURES = Path(__file__).resolve().parents[2] / "firmware_fixtures"
TOOL = FIXTURES / "tools" / "make_bad_images.py"
BAD = FIXTURES / "build" / "bad"
SLOT_BASES = {"A": 0x10000, "B": 0x88000}
#: board -> (its committed bad images, its slot bases, its slot size, its folder in the tool's --out).
BOARDS = {
    "mps2": (BAD, SLOT_BASES, 0x78000, ""),
    "stm32f4": (FIXTURES / "build" / "stm32f4" / "bad", {"A": 0x08040000, "B": 0x080A0000}, 0x60000, "stm32f4"),
}
REGENERATE = (f"regenerate with `python3 {TOOL.relative_to(FIXTURES.parent)}` and commit build/bad/ "
              "and build/stm32f4/bad/")

#: kind -> (imgtool, our reader, demo bootloader at FINISH, at boot), with floor 1.
EXPECTED = {
    "payload-flip": ("INVALID_HASH", "hash-mismatch", "E_HASH", "E_HASH"),
    "header-magic": ("INVALID_MAGIC", "format-error", "E_MAGIC", "E_MAGIC"),
    "header-loadaddr": ("INVALID_HASH", "hash-mismatch", "E_LOADADDR", "E_LOADADDR"),
    "seccnt-flip": ("INVALID_HASH", "hash-mismatch", "E_HASH", "E_HASH"),
    "sha-flip": ("INVALID_HASH", "hash-mismatch", "E_HASH", "E_HASH"),
    "truncated": ("UNREADABLE", "format-error", "E_SIZE", "E_TLV"),
    "lowsec": ("OK", "ok", "E_ROLLBACK", "E_ROLLBACK"),
    "wrong-slot": ("OK", "ok", "E_LOADADDR", "E_LOADADDR"),
}


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("bad")
    proc = subprocess.run([sys.executable, str(TOOL), "--out", str(out)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return out


def manifest(board: str = "mps2") -> dict:
    return json.loads((BOARDS[board][0] / "MANIFEST.json").read_text())


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.is_file())


@pytest.mark.parametrize("board", BOARDS)
def test_committed_set_is_reproducible(regenerated, board):
    bad, _, _, sub = BOARDS[board]
    fresh_dir = regenerated / sub if sub else regenerated
    committed, fresh = _files(bad), _files(fresh_dir)
    assert committed == fresh, f"{bad} has a different file set: {REGENERATE}"
    differ = [n for n in fresh if (fresh_dir / n).read_bytes() != (bad / n).read_bytes()]
    assert not differ, f"these files differ from a fresh run ({REGENERATE}): {differ}"


def test_tool_is_deterministic(regenerated, tmp_path):
    subprocess.run([sys.executable, str(TOOL), "--out", str(tmp_path)], check=True, capture_output=True)
    again = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert again == sorted(p.relative_to(regenerated) for p in regenerated.rglob("*") if p.is_file())
    assert all((tmp_path / p).read_bytes() == (regenerated / p).read_bytes() for p in again)


@pytest.mark.parametrize("board", BOARDS)
def test_every_kind_for_both_slots(board):
    images = manifest(board)["images"]
    assert sorted((e["kind"], e["slot"]) for e in images) == sorted((k, s) for k in EXPECTED for s in "AB")
    for e in images:
        suffix = ".signed.bin" if e["kind"] in ("lowsec", "wrong-slot") else ".bin"
        assert e["file"] == f"app-v2-{e['kind']}-slot{e['slot']}{suffix}"


@pytest.mark.parametrize("board, entry", [(b, e) for b in BOARDS for e in manifest(b)["images"]],
                         ids=lambda v: v["file"] if isinstance(v, dict) else v)
def test_each_bad_image_is_refused_for_its_reason(board, entry):
    bad, bases, _, _ = BOARDS[board]
    data = (bad / entry["file"]).read_bytes()
    base = bases[entry["slot"]]
    floor = manifest(board)["floor"]
    expected = EXPECTED[entry["kind"]]
    got = (
        verify_with_imgtool(data),
        entry["reader"],
        check_demo_image(data, slot_base=base, limit=len(data), floor=floor),
        check_demo_image(data, slot_base=base, floor=floor),
    )
    assert got == expected
    assert (entry["imgtool"], entry["reader"], entry["firmware_finish"], entry["firmware_boot"]) == expected
    assert entry["size"] == len(data)


@pytest.mark.parametrize("slot", "AB")
def test_lowsec_is_v2_validly_signed_with_counter_0(slot, good_images):
    good = read_image(good_images[f"app-v2-slot{slot}.signed.bin"])
    low = read_image(BAD / f"app-v2-lowsec-slot{slot}.signed.bin")
    assert low.hash_ok and low.security_counter == 0
    assert (low.version, low.load_addr, low.payload) == (good.version, good.load_addr, good.payload)
    # Valid as such: only the floor refuses it.
    assert check_demo_image(low.data, slot_base=low.load_addr, floor=0) == "OK"


@pytest.mark.parametrize("slot", "AB")
def test_wrong_slot_claims_this_slot_but_carries_the_other_slots_code(slot, good_images):
    other = "B" if slot == "A" else "A"
    moved = read_image(BAD / f"app-v2-wrong-slot-slot{slot}.signed.bin")
    assert moved.hash_ok and moved.load_addr == SLOT_BASES[slot]
    assert moved.payload == read_image(good_images[f"app-v2-slot{other}.signed.bin"]).payload


@pytest.mark.parametrize("board", BOARDS)
def test_manifest_verdicts_match_the_firmware_built_for_the_host(request, board):
    check = request.getfixturevalue("host_image_check" if board == "mps2" else "host_image_check_f4")
    bad, bases, slot_size, _ = BOARDS[board]
    floor = manifest(board)["floor"]
    cases, expected = [], []
    for e in manifest(board)["images"]:
        path = bad / e["file"]
        base = bases[e["slot"]]
        cases += [(path, base, e["size"], floor, None), (path, base, slot_size, floor, None)]
        expected += [e["firmware_finish"], e["firmware_boot"]]
    assert check.run(cases) == expected
