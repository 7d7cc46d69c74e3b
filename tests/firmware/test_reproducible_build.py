"""The committed demo firmware in firmware_fixtures/build/ must be exactly
what `make` builds from the committed sources (byte for byte), the
deliberately buggy variants in build/buggy/ included."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FW = ROOT / "firmware_fixtures"
IMGTOOL_VERSION = "2.5.0"   # imgtool's output format is pinned with it


def _imgtool() -> str | None:
    """A command line for imgtool 2.5.0: on PATH, or importable here."""
    exe = shutil.which("imgtool")
    candidates = [[exe]] if exe else []
    candidates.append([sys.executable, "-m", "imgtool.main"])
    for cmd in candidates:
        try:
            res = subprocess.run([*cmd, "version"], capture_output=True, text=True, timeout=60)
        except OSError:
            continue
        if res.returncode == 0 and res.stdout.strip() == IMGTOOL_VERSION:
            return " ".join(cmd)
    return None


def test_committed_firmware_matches_a_fresh_build(tmp_path):
    for tool in ("arm-none-eabi-gcc", "make"):
        if not shutil.which(tool):
            pytest.skip(f"{tool} not on PATH (Debian: gcc-arm-none-eabi, make)")
    imgtool = _imgtool()
    if imgtool is None:
        pytest.skip(f"imgtool {IMGTOOL_VERSION} not found (pip install imgtool=={IMGTOOL_VERSION})")

    obj = tmp_path / "obj"
    env = dict(os.environ, LC_ALL="C")
    res = subprocess.run(
        ["make", "-C", str(FW), f"OBJ={obj}", f"IMGTOOL={imgtool}", f"PYTHON={sys.executable}",
         f"-j{min(4, os.cpu_count() or 1)}", "all", "buggy"],
        capture_output=True, text=True, env=env, timeout=900)
    assert res.returncode == 0, f"make failed:\n{res.stdout[-3000:]}\n{res.stderr[-3000:]}"

    names = subprocess.run(["make", "-s", "-C", str(FW), "list"], capture_output=True,
                           text=True, check=True).stdout.split()
    assert "factory-v1.bin" in names and "bootloader.bin" in names
    differ = [n for n in names if (obj / "out" / n).read_bytes() != (FW / "build" / n).read_bytes()]
    assert not differ, f"build/ differs from a fresh build (run `make -C firmware_fixtures install`): {differ}"
    assert any(n.startswith("stm32f4/") for n in names)   # the STM32F4 build too
    # nothing stale next to them (subdirectories such as build/bad/ are
    # derived by other tools and checked by their own tests)
    for folder in ("", "stm32f4/"):
        present = sorted(folder + p.name for p in (FW / "build" / folder).iterdir() if p.is_file())
        assert present == sorted(n for n in names if n.startswith(folder) and "/" not in n[len(folder):]), \
            f"stale or missing files in build/{folder}"

    # The deliberately buggy variants (build/buggy/<ID>/...), built by `make buggy`.
    buggy = subprocess.run(["make", "-s", "-C", str(FW), "list-buggy"], capture_output=True,
                           text=True, check=True).stdout.split()
    assert buggy and all(n.startswith("buggy/") for n in buggy)
    differ = [n for n in buggy if (obj / "out" / n).read_bytes() != (FW / "build" / n).read_bytes()]
    assert not differ, f"build/buggy differs from a fresh build (run `make -C firmware_fixtures install`): {differ}"
    present = sorted(str(p.relative_to(FW / "build")) for p in (FW / "build" / "buggy").rglob("*") if p.is_file())
    assert present == sorted(buggy + ["buggy/MANIFEST.json"]), "stale or missing files in build/buggy/"


def test_trust_key_is_the_public_half_of_the_signing_key(tmp_path):
    """src/core/trust_key.c is what tools/trust_key.py writes from keys/demo-test-ed25519.pem."""
    out = tmp_path / "trust_key.c"
    res = subprocess.run([sys.executable, str(FW / "tools" / "trust_key.py"), str(FW / "keys" / "demo-test-ed25519.pem"),
                          str(out)], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert out.read_text() == (FW / "src" / "core" / "trust_key.c").read_text(), \
        "trust_key.c is stale: run `make -C firmware_fixtures trust-key`"
    # The packaged copies of the keys are the sources' (make install copies them).
    for pem in (FW / "keys").glob("*.pem"):
        assert (FW / "build" / "keys" / pem.name).read_bytes() == pem.read_bytes()


def test_trust_key_tool_refuses_what_is_not_an_ed25519_key(tmp_path):
    bad = tmp_path / "not-a-key.pem"
    bad.write_text("hello\n")
    res = subprocess.run([sys.executable, str(FW / "tools" / "trust_key.py"), str(bad), str(tmp_path / "o.c")],
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 1 and not (tmp_path / "o.c").exists()
    assert len(res.stderr.strip().splitlines()) == 1 and "cannot read an Ed25519 private key" in res.stderr
