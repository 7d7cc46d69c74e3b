"""Fixtures for the image tests: the committed images, and the firmware's own
image check built for the host (skipped when no C compiler is installed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "firmware_fixtures"
BUILD = FIXTURES / "build"
CORE = FIXTURES / "src" / "core"
GOOD_IMAGES = sorted(BUILD.glob("*.signed.bin"))


@pytest.fixture(scope="session")
def good_images() -> dict[str, bytes]:
    """Private copies of the committed signed images (a concurrent rebuild cannot change them mid-test)."""
    assert GOOD_IMAGES, f"no *.signed.bin in {BUILD}: run `make -C firmware_fixtures install`"
    return {p.name: p.read_bytes() for p in GOOD_IMAGES}


class HostImageCheck:
    """Runs the firmware's ``image_validate()`` (compiled for the host) on files."""

    def __init__(self, exe: Path) -> None:
        self.exe = exe

    def run(self, cases: list[tuple[Path, int, int, int, int | None]]) -> list[str]:
        """``(path, slot_base, limit, floor, expected_digest)`` -> img_result names."""
        lines = []
        for path, base, limit, floor, digest in cases:
            line = f"{path} {base:#x} {limit:#x} {floor:#x}"
            lines.append(line + (f" {digest:#x}" if digest is not None else ""))
        proc = subprocess.run([str(self.exe)], input="\n".join(lines) + "\n", capture_output=True, text=True,
                              check=True, timeout=120)
        results = proc.stdout.split()
        assert len(results) == len(cases), proc.stdout + proc.stderr
        return results


@pytest.fixture(scope="session")
def host_image_check(tmp_path_factory: pytest.TempPathFactory) -> HostImageCheck:
    return _build_host_image_check(tmp_path_factory, [])


@pytest.fixture(scope="session")
def host_image_check_f4(tmp_path_factory: pytest.TempPathFactory) -> HostImageCheck:
    """The same check built with the STM32F4 board's layout (-DBOARD_STM32F4)."""
    return _build_host_image_check(tmp_path_factory, ["-DBOARD_STM32F4"])


def _build_host_image_check(tmp_path_factory: pytest.TempPathFactory, flags: list[str]) -> HostImageCheck:
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        pytest.skip("no host C compiler: cannot build the firmware's image check for the host")
    exe = tmp_path_factory.mktemp("host") / "host_image_check"
    subprocess.run(
        [cc, "-O1", "-std=c11", *flags, "-I", str(CORE), "-o", str(exe), str(Path(__file__).parent / "host_image_check.c"),
         *(str(CORE / f"{name}.c") for name in ("image", "sha256", "sha512", "ed25519", "sigcheck", "trust_key"))],
        check=True, capture_output=True, text=True,
    )
    return HostImageCheck(exe)
