"""Registers the pyOCD backend through pytest-iot-hil's hooks.

A pytest plugin of its own (``pytest11`` entry point ``iot_hil_pyocd``),
written as a third-party backend would be. pyOCD is imported only when an
inventory target says ``backend = "pyocd"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ...protocols.target import Target, TargetDescription

BACKEND = "pyocd"


@pytest.hookimpl(optionalhook=True)
def pytest_hil_backend_names(config: pytest.Config) -> list[str]:
    return [BACKEND]


@pytest.hookimpl(optionalhook=True)
def pytest_hil_validate_target(config: pytest.Config, description: TargetDescription) -> bool | None:
    if description.backend != BACKEND:
        return None
    from . import target as pyocd_target

    pyocd_target.validate(description)
    if not hasattr(config, "workerinput"):  # xdist workers: their controller looked already
        pyocd_target.preflight(description)
    return True


@pytest.hookimpl(optionalhook=True)
def pytest_hil_make_target(config: pytest.Config, description: TargetDescription, log_dir: Path) -> Target | None:
    if description.backend != BACKEND:
        return None
    from .target import PyocdTarget

    return PyocdTarget(description)
