"""What only silicon can show: pyOCD's flash algorithms running on a real part.

Skipped unless a real board is attached and named::

    PYTEST_IOT_HIL_BENCH_PROBE=0669FF...        # its probe's unique id (`pyocd list`)
    PYTEST_IOT_HIL_BENCH_TARGET=stm32f429zi     # pyOCD's target type for the part
    PYTEST_IOT_HIL_BENCH_SECTOR=0x08020000+0x20000   # a flash range these tests may erase and write
    PYTEST_IOT_HIL_BENCH_CHIP_ERASE=1           # also run the chip erase (wipes the whole part)

They use the same ``PyocdTarget`` as a test suite does; nothing here is simulated.
"""

from __future__ import annotations

import os

import pytest

from pytest_iot_hil.backends.pyocd.target import PyocdTarget, connected_probes
from pytest_iot_hil.protocols.target import TargetDescription

PROBE = os.environ.get("PYTEST_IOT_HIL_BENCH_PROBE", "")
TARGET_TYPE = os.environ.get("PYTEST_IOT_HIL_BENCH_TARGET", "")
SECTOR = os.environ.get("PYTEST_IOT_HIL_BENCH_SECTOR", "")


def _why_not() -> str | None:
    if not (PROBE and TARGET_TYPE and SECTOR):
        return ("needs a real board on a probe: set PYTEST_IOT_HIL_BENCH_PROBE, PYTEST_IOT_HIL_BENCH_TARGET and "
                "PYTEST_IOT_HIL_BENCH_SECTOR (see this file's docstring)")
    ids = [p.unique_id for p in connected_probes()]
    if not any(PROBE.lower() in uid.lower() for uid in ids):
        return f"probe {PROBE} is not connected (connected: {', '.join(ids) or 'none'})"
    return None


pytestmark = [pytest.mark.bench, pytest.mark.skipif(_why_not() is not None, reason=_why_not() or "")]


@pytest.fixture
def board():
    start, size = (int(part, 0) for part in SECTOR.split("+"))
    target = PyocdTarget(TargetDescription(name="bench-board", backend="pyocd", firmware=None,
                                           options={"target_type": TARGET_TYPE, "probe": PROBE}))
    target.start(None)
    try:
        yield target, start, size
    finally:
        target.close()


def _erased(target: PyocdTarget, address: int) -> int:
    region = target.session.target.memory_map.get_region_for_address(address)
    assert region is not None and region.is_flash, f"{address:#x} is not flash on {TARGET_TYPE}"
    return region.erased_byte_value


def test_sector_erase_by_the_flash_algorithm(board):
    target, start, size = board
    target.erase(start, size)
    assert target.read_memory(start, min(size, 4096)) == bytes([_erased(target, start)]) * min(size, 4096)


def test_writes_into_flash_go_through_the_flash_algorithm(board):
    target, start, size = board
    data = os.urandom(min(size, 2048))
    target.write_memory(start, data)
    assert target.read_memory(start, len(data)) == data
    target.reset("hardware")
    assert target.read_memory(start, len(data)) == data  # it was flash, not a cache


@pytest.mark.skipif(os.environ.get("PYTEST_IOT_HIL_BENCH_CHIP_ERASE") != "1",
                    reason="wipes the whole part: set PYTEST_IOT_HIL_BENCH_CHIP_ERASE=1")
def test_chip_erase(board):
    target, start, _size = board
    target.erase(chip=True)
    assert target.read_memory(start, 256) == bytes([_erased(target, start)]) * 256
