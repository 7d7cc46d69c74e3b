"""The firmware's own C unit tests, run on the target: every case a pytest item.

Each marked function names a test image; pytest boots it once per run,
parses its UART output as it streams and reports one item per case
(``-k``, ``--lf``, ``-x``, xdist and JUnit work on them). The function body
is not run. The demo images pass, fail, skip, crash and hang on purpose:
run ``pytest --hil examples/test_on_target_units.py -rA`` to see every outcome.
"""

import pytest

from pytest_iot_hil.devices.demo.layout import current_board

IMAGES = current_board().firmware_dir()   # the images of the run's board (mps2 or STM32F4)


@pytest.mark.hil_unit(firmware=IMAGES / "unit-unity.elf", framework="unity")
def test_codec_on_target():
    """Unity: the firmware's CRC-32, SHA-256 and string code on the target (one case fails, one is ignored)."""


@pytest.mark.hil_unit(firmware=IMAGES / "unit-ztest.elf", framework="ztest")
def test_faults_on_target():
    """ztest: a HardFault in the middle fails its case with the symbolized PC; the cases after it are not run."""


@pytest.mark.hil_unit(firmware=IMAGES / "unit-fixture.elf", framework="unity-fixture", case_timeout=2)
def test_hang_on_target():
    """Unity Fixture: a case that never returns fails after 2 s of silence."""
