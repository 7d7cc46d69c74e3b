"""Registers the pyOCD backend through pytest-iot-hil's hooks.

A pytest plugin of its own (``pytest11`` entry point ``iot_hil_pyocd``),
written as a third-party backend would be (:mod:`pytest_iot_hil.backends.registration`).
pyOCD is imported only when an inventory target says ``backend = "pyocd"``.
"""

from __future__ import annotations

from ..registration import backend_hooks

BACKEND = "pyocd"

pytest_hil_backend_names, pytest_hil_validate_target, pytest_hil_make_target = backend_hooks(
    BACKEND, "pytest_iot_hil.backends.pyocd.target",
    lambda module, description, log_dir: module.PyocdTarget(description))
