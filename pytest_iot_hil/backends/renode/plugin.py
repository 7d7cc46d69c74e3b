"""Registers the Renode backend through pytest-iot-hil's hooks (``pytest11`` entry point ``iot_hil_renode``).

Written as a third-party backend would be (:mod:`pytest_iot_hil.backends.registration`).
"""

from __future__ import annotations

from ..registration import backend_hooks

BACKEND = "renode"

pytest_hil_backend_names, pytest_hil_validate_target, pytest_hil_make_target = backend_hooks(
    BACKEND, "pytest_iot_hil.backends.renode.target",
    lambda module, description, log_dir: module.RenodeTarget(description, log_dir=log_dir))
