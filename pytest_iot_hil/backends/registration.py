"""The hooks a backend plugin registers, made once for any backend.

A backend is a pytest plugin module whose three hooks answer for one
``backend = "NAME"`` of the inventory. Its target module (which may import
heavy or optional packages, e.g. pyOCD) is imported only when a target of
that backend is used. The module provides ``validate(description)`` (raises
:class:`~pytest_iot_hil.errors.HilConfigError`), optionally
``preflight(description)`` (run once per run, on the xdist controller, not
on each worker), and the target class ``make`` builds::

    # my_backend/plugin.py, registered under [project.entry-points.pytest11]
    from pytest_iot_hil.backends.registration import backend_hooks

    pytest_hil_backend_names, pytest_hil_validate_target, pytest_hil_make_target = backend_hooks(
        "mysim", "my_backend.target", lambda module, description, log_dir: module.MySimTarget(description))

The hooks are ``optionalhook``: with the core plugin disabled (``-p no:iot_hil``)
they are simply never called.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Callable

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from ..protocols.target import Target, TargetDescription


def backend_hooks(name: str, target_module: str,
                  make: Callable[[ModuleType, "TargetDescription", Path], "Target"]) -> tuple[Callable, ...]:
    """``pytest_hil_backend_names``, ``pytest_hil_validate_target`` and ``pytest_hil_make_target`` for backend ``name``."""

    @pytest.hookimpl(optionalhook=True)
    def pytest_hil_backend_names(config: pytest.Config) -> list[str]:
        return [name]

    @pytest.hookimpl(optionalhook=True)
    def pytest_hil_validate_target(config: pytest.Config, description: "TargetDescription") -> bool | None:
        if description.backend != name:
            return None
        module = importlib.import_module(target_module)
        module.validate(description)
        preflight = getattr(module, "preflight", None)
        if preflight is not None and not hasattr(config, "workerinput"):  # xdist workers: their controller ran it
            preflight(description)
        return True

    @pytest.hookimpl(optionalhook=True)
    def pytest_hil_make_target(config: pytest.Config, description: "TargetDescription",
                               log_dir: Path) -> "Target | None":
        if description.backend != name:
            return None
        return make(importlib.import_module(target_module), description, log_dir)

    return pytest_hil_backend_names, pytest_hil_validate_target, pytest_hil_make_target
