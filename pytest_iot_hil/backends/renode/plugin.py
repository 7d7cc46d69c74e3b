"""Registers the Renode backend through pytest-iot-hil's hooks (``pytest11`` entry point ``iot_hil_renode``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from ...protocols.target import Target, TargetDescription

BACKEND = "renode"


@pytest.hookimpl(optionalhook=True)
def pytest_hil_backend_names(config: pytest.Config) -> list[str]:
    return [BACKEND]


@pytest.hookimpl(optionalhook=True)
def pytest_hil_validate_target(config: pytest.Config, description: TargetDescription) -> bool | None:
    if description.backend != BACKEND:
        return None
    from . import target as renode

    renode.validate(description)
    return True


@pytest.hookimpl(optionalhook=True)
def pytest_hil_make_target(config: pytest.Config, description: TargetDescription, log_dir: Path) -> Target | None:
    if description.backend != BACKEND:
        return None
    from .target import RenodeTarget

    return RenodeTarget(description, log_dir=log_dir)
