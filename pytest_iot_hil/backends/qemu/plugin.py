"""Registers the QEMU backend through pytest-iot-hil's hooks.

This module is a pytest plugin of its own (``pytest11`` entry point
``iot_hil_qemu``), written exactly as a third-party backend would be
(:mod:`pytest_iot_hil.backends.registration`). The target module is imported
only when a QEMU target is used.
"""

from __future__ import annotations

from ..registration import backend_hooks

BACKEND = "qemu"

pytest_hil_backend_names, pytest_hil_validate_target, pytest_hil_make_target = backend_hooks(
    BACKEND, "pytest_iot_hil.backends.qemu.target",
    lambda module, description, log_dir: module.QemuTarget(description, log_dir=log_dir))
