"""Fixtures for the boot-state tests: the firmware's journal and report code
built for the host (skipped when no C compiler is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[3] / "firmware_fixtures" / "src" / "core"
HERE = Path(__file__).resolve().parent


def _build(tmp_path_factory: pytest.TempPathFactory, name: str, sources: list[str]) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler: cannot build the firmware's journal code for the host")
    exe = tmp_path_factory.mktemp("host") / name
    subprocess.run(
        [cc, "-O1", "-std=c11", "-I", str(CORE), "-o", str(exe), str(HERE / f"{name}.c"),
         *(str(CORE / s) for s in sources)],
        check=True, capture_output=True, text=True,
    )
    return exe


@pytest.fixture(scope="session")
def host_journal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``host_journal encode ...`` / ``host_journal load FILE`` (see host_journal.c)."""
    return _build(tmp_path_factory, "host_journal", ["journal.c", "crc32.c"])


@pytest.fixture(scope="session")
def host_report_lines(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """The BOOT and info lines of host_report.c's scenarios, as report.c prints them."""
    exe = _build(tmp_path_factory, "host_report",
                 ["report.c", "strfmt.c", "bootflow.c", "journal.c", "crc32.c", "image.c", "sha256.c",
                  "sha512.c", "ed25519.c", "sigcheck.c", "trust_key.c"])
    return subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.splitlines()
