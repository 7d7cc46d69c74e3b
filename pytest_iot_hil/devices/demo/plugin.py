"""Registers the demo firmware's device profile through pytest-iot-hil's hooks.

A pytest plugin of its own (``pytest11`` entry point ``iot_hil_demo``),
written exactly as a team's own profile would be: a built-in target, and for
targets with ``device = "demo"`` the update client and the boot observer.

Its hooks are ``optionalhook``: with the core plugin disabled (``-p no:iot_hil``)
they are simply never called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from .layout import MPS2, PROFILE, board_of, builtin_target, renode_builtin_target, use_board

if TYPE_CHECKING:  # pragma: no cover
    from ...console import Console
    from ...protocols.target import Target, TargetDescription


@pytest.hookimpl(optionalhook=True)
def pytest_hil_device_names(config: pytest.Config) -> list[str]:
    return [PROFILE]


@pytest.hookimpl(optionalhook=True)
def pytest_hil_builtin_targets(config: pytest.Config) -> list["TargetDescription"]:
    return [builtin_target(), renode_builtin_target()]


@pytest.hookimpl(optionalhook=True)
def pytest_hil_run_target(config: pytest.Config, description: "TargetDescription") -> None:
    """The images of the run's board: the STM32F4 build for a target whose flash is at 0x08000000."""
    use_board(board_of(description) if description.device == PROFILE else MPS2)


def pytest_unconfigure(config: pytest.Config) -> None:
    use_board(MPS2)


def _ours(target: "Target") -> bool:
    return target.description.device == PROFILE


@pytest.hookimpl(optionalhook=True)
def pytest_hil_make_update_client(config: pytest.Config, target: "Target", console: "Console"):
    if not _ours(target):
        return None
    from .client import DemoUpdateClient

    return DemoUpdateClient(console, reply_timeout=max(5.0, console.timeout / 2))


@pytest.hookimpl(optionalhook=True)
def pytest_hil_make_boot_observer(config: pytest.Config, target: "Target", console: "Console"):
    if not _ours(target):
        return None
    from .boot import DemoBootObserver

    return DemoBootObserver(console, timeout=console.timeout)


@pytest.hookimpl(optionalhook=True)
def pytest_hil_make_device_agent(config: pytest.Config, target: "Target", console: "Console"):
    if not _ours(target):
        return None
    from .agent import DemoAgent

    return DemoAgent(console, reply_timeout=max(5.0, console.timeout / 2))


@pytest.hookimpl(optionalhook=True)
def pytest_hil_unit_patterns(config: pytest.Config, description: "TargetDescription"):
    if description.device != PROFILE:
        return None
    from ...unit.run import DevicePatterns

    # The demo's on-target test runner (firmware_fixtures/src/unit/): its start line and its fault handler's report.
    return DevicePatterns(boot=r"unit runner: starting",
                          fault=r"\*\*\* (?P<kind>HardFault) pc=(?P<pc>0x[0-9a-fA-F]+) lr=(?P<lr>0x[0-9a-fA-F]+)")
