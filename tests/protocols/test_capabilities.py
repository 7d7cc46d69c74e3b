"""A target that lacks a capability is told which one, and which backends have it.

The ``fake`` backend (``tests/conftest.py``) is a board-like target: no power
switch of its own, no flash watch, no flash state.
"""

from __future__ import annotations

import pytest

from pytest_iot_hil.backends.emulated import EmulatedTarget
from pytest_iot_hil.backends.qemu.target import QemuTarget
from pytest_iot_hil.errors import HilConfigError
from pytest_iot_hil.protocols import BuiltInPower, FlashState, FlashWatcher, Target, require


def test_the_qemu_target_has_every_emulator_capability():
    assert issubclass(QemuTarget, EmulatedTarget)
    for capability in (FlashWatcher, FlashState, BuiltInPower, Target):
        assert issubclass(QemuTarget, capability), capability


def test_require_names_the_capability_and_who_has_it():
    class Board:
        name, backend = "nucleo", "pyocd"

    with pytest.raises(HilConfigError, match=r"a power-cut campaign needs a target that can watch flash writes "
                                             r"\(FlashWatcher\); target 'nucleo' \(backend 'pyocd'\) cannot: use one "
                                             r"of the emulator backends \(qemu"):
        require(Board(), FlashWatcher, "a power-cut campaign")


def test_a_board_without_a_switch_is_told_which_table_to_add(pytester, fake_backend, hil_toml):
    hil_toml(fake_backend.inventory)
    pytester.makepyfile("""
import pytest
@pytest.mark.hil
def test_power(power):
    pass
""")
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([
        "*target 'bench' (backend 'fake') has no power switch of its own: add a [[]targets.bench.power[]] table*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_at_flash_write_on_a_board_skips_naming_the_missing_capability(pytester, fake_backend, hil_toml):
    hil_toml(fake_backend.inventory + '\n[targets.bench.power]\ndriver = "command"\non = "true"\noff = "true"\n')
    pytester.makepyfile("""
import pytest
from pytest_iot_hil.power import at_flash_write

@pytest.mark.hil
def test_cut(power):
    with power.cut_at(at_flash_write(1)):
        raise AssertionError("not reached: the cut cannot be armed on this target")
""")
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED*watch flash writes (FlashWatcher)*target 'bench' (backend 'fake') cannot*"
                                 "on a board, use on_console, after_update_bytes or after*"])


def test_a_campaign_on_a_board_names_the_missing_capability(pytester, fake_backend, hil_toml):
    hil_toml(fake_backend.inventory)
    pytester.makepyfile("""
import pytest
from pytest_iot_hil.campaign import Oracle

class Never(Oracle):
    def check(self, device, ctx):
        return []

@pytest.mark.hil_campaign(procedure=lambda device: None, oracle=Never(), critical_regions=())
def test_campaign(power_cut):
    power_cut.check()
""")
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*power-cut campaign of *test_campaign: a power-cut campaign needs a target that can "
                                 "watch flash writes (FlashWatcher); target 'bench' (backend 'fake') cannot*"])
    result.stdout.no_fnmatch_line("*Traceback*")
