"""A bench of simulated probes for the pyOCD backend's tests.

The probes are those of ``hil_simprobe`` (``tests/backends/pyocd/simprobe``,
installed by ``scripts/bootstrap.sh tests``): pyOCD finds them through its
``pyocd.probe`` entry point, and everything above the probe (discovery,
``ConnectHelper``, ``Session``, the CoreSight and Cortex-M layers, the
``FileProgrammer``) is pyOCD's own code.

* ``bench`` plugs probes with Python-memory boards in through a
  ``HIL_SIMPROBES`` file, so pytest-xdist workers see the same bench;
* ``qemu_board`` plugs in one probe whose board is a QEMU mps2-an385 running
  the demo firmware, with its UART on a pty (``board.console``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

# Installed next to the project by scripts/bootstrap.sh (pip install -e tests/backends/pyocd/simprobe).
from hil_simprobe import registry



class Bench:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.probes: list[dict] = []
        self._write()

    def plug(self, unique_id: str, **spec) -> str:
        self.probes.append({"unique_id": unique_id, "board": "memory", **spec})
        self._write()
        return unique_id

    def _write(self) -> None:
        self.path.write_text(json.dumps({"probes": self.probes}))


@pytest.fixture
def bench(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Simulated probes with memory boards, visible to this process and its children."""
    b = Bench(tmp_path / "simprobes.json")
    monkeypatch.setenv(registry.ENV, str(b.path))
    yield b
    for probe in b.probes:
        registry._unplug(probe["unique_id"])


@dataclass
class QemuBoardOnProbe:
    unique_id: str
    console: Path

    @property
    def board(self):
        return registry.board_of(self.unique_id)


@pytest.fixture
def qemu_board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Probe ``SIMQ0001`` with a QEMU board (blank flash, held halted until the first reset)."""
    monkeypatch.delenv(registry.ENV, raising=False)
    console = tmp_path / "ttyACM-SIMQ0001"
    with registry.attached("SIMQ0001", board="qemu", console=str(console)):
        yield QemuBoardOnProbe("SIMQ0001", console)
