"""Compiling the firmware's hardware-free C with the host compiler, for the host tests.

With AddressSanitizer and UBSan where the toolchain has them (and the
program then runs), else plainly; no host compiler: the test is skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Sequence

import pytest

ROOT = Path(__file__).resolve().parents[2]
CORE = ROOT / "firmware_fixtures" / "src" / "core"
HOST = Path(__file__).resolve().parent / "host"
SANITIZE = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined"]


def compile_host(out: Path, sources: Sequence[Path], *, probe: Sequence[str] | None = None) -> Path:
    """Build ``out`` from ``sources``; ``probe`` (arguments) must run cleanly for the sanitized build to be kept."""
    cc = os.environ.get("CC") or shutil.which("gcc") or shutil.which("cc")
    if not cc:
        pytest.skip("no host C compiler (gcc) on PATH: install gcc to run the firmware host tests")
    base = [cc, "-std=c11", "-O1", "-g", "-Wall", "-Wextra", "-Werror", "-I", str(CORE), "-I", str(HOST)]
    tail = [*(str(s) for s in sources), "-o", str(out)]
    if subprocess.run(base + SANITIZE + tail, capture_output=True, text=True).returncode == 0:
        if probe is None or subprocess.run([str(out), *probe], capture_output=True).returncode == 0:
            return out
    res = subprocess.run(base + tail, capture_output=True, text=True)
    assert res.returncode == 0, f"{out.name} did not compile:\n{res.stderr}"
    return out
