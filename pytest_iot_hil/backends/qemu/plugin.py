"""Registers the QEMU backend through pytest-iot-hil's hooks.

This module is a pytest plugin of its own (``pytest11`` entry point
``iot_hil_qemu``), written exactly as a third-party backend would be.

Its hooks are ``optionalhook``: with the core plugin disabled (``-p no:iot_hil``)
they are simply never called.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...protocols.target import Target, TargetDescription

BACKEND = "qemu"


@pytest.hookimpl(optionalhook=True)
def pytest_hil_backend_names(config: pytest.Config) -> list[str]:
    return [BACKEND]


@pytest.hookimpl(optionalhook=True)
def pytest_hil_validate_target(config: pytest.Config, description: TargetDescription) -> bool | None:
    if description.backend != BACKEND:
        return None
    from . import target as qemu  # imported only when a QEMU target is used

    qemu.validate(description)
    if not hasattr(config, "workerinput"):  # xdist workers: their controller ran it
        qemu.preflight(description)
    return True


@pytest.hookimpl(optionalhook=True)
def pytest_hil_make_target(config: pytest.Config, description: TargetDescription, log_dir: Path) -> Target | None:
    if description.backend != BACKEND:
        return None
    from .target import QemuTarget

    return QemuTarget(description, log_dir=log_dir)
