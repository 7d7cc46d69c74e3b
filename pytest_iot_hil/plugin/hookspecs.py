"""pytest-iot-hil's extension points.

Backends (and, later, power drivers and update clients) plug in by
implementing these hooks in any pytest plugin: a ``conftest.py``, or a package
with a ``pytest11`` entry point.  The built-in QEMU backend registers through
exactly these hooks (``pytest_iot_hil.backends.qemu.plugin``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from ..console import Console
    from ..protocols.power import PowerSwitch
    from ..protocols.target import Target, TargetDescription
    from ..update import UpdateClient


def pytest_hil_backend_names(config: pytest.Config) -> list[str]:
    """Return the backend names this plugin provides (e.g. ``["qemu"]``).

    Called when an error message lists the available backends. Results of all
    implementations are concatenated.
    """


@pytest.hookspec(firstresult=True)
def pytest_hil_validate_target(config: pytest.Config, description: "TargetDescription") -> bool | None:
    """Check a target description before any test runs.

    Called once, in ``pytest_configure``, for the selected target only when
    ``--hil`` is given. An implementation that handles ``description.backend``
    checks its keys and prerequisites (programs on PATH, libraries importable),
    raises :class:`pytest_iot_hil.errors.HilConfigError` with a message that
    says what to fix, and returns ``True``. Return ``None`` for backends you do
    not handle. If nobody returns ``True`` the run stops with "unknown backend".
    Stops at the first non-``None`` result.
    """


@pytest.hookspec(firstresult=True)
def pytest_hil_make_target(
    config: pytest.Config, description: "TargetDescription", log_dir: "Path"
) -> "Target | None":
    """Create the (not yet started) :class:`~pytest_iot_hil.protocols.Target`.

    Called each time a test needs a fresh target (once per test by default,
    once per module or session with ``--hil-scope``). ``log_dir`` is the run's
    log directory (``--hil-log-dir``), for backends that write logs worth
    keeping after the run (the built-in QEMU backend keeps none). Return ``None`` if you
    do not handle ``description.backend``. Stops at the first non-``None``
    result. The caller starts the target and always calls ``close()`` on it.
    """


@pytest.hookspec(firstresult=True)
def pytest_hil_make_update_client(config: pytest.Config, target: "Target", console: "Console") -> "UpdateClient | None":
    """Create the update client behind the ``ota`` fixture.

    Called once per test that uses ``ota``, and by a power-cut campaign for
    its trace and its runners. Return an
    :class:`~pytest_iot_hil.update.UpdateClient` subclass that speaks your
    firmware's update protocol (over ``console``, or any other link you
    open), or ``None`` to let others decide. The built-in implementation runs
    last and returns the demo firmware's client. Stops at the first
    non-``None`` result.
    """


@pytest.hookspec(firstresult=True)
def pytest_hil_make_power(config: pytest.Config, target: "Target") -> "PowerSwitch | None":
    """Create the power switch behind the ``power`` fixture for ``target``.

    Called once per test that uses ``power``. A power driver plugin looks at
    ``target.description.options.get("power")`` (the inventory's
    ``[targets.NAME.power]`` table), and returns a
    :class:`~pytest_iot_hil.protocols.PowerSwitch` when ``driver`` names it,
    ``None`` otherwise. The built-in implementation runs last: it knows the
    ``command`` driver, and without a ``power`` table uses the target's own
    power (emulators). Stops at the first non-``None`` result.
    """
