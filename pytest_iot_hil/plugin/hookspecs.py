"""pytest-iot-hil's extension points.

Backends, device profiles and power drivers plug in by implementing these
hooks in any pytest plugin: a ``conftest.py``, or a package with a
``pytest11`` entry point. The built-in parts register through exactly these
hooks, each from its own entry point: the QEMU backend
(``pytest_iot_hil.backends.qemu.plugin``), the demo firmware's device profile
(``pytest_iot_hil.devices.demo.plugin``) and the built-in power drivers
(``pytest_iot_hil.power.plugin``).

Outside pytest (scripts, benchmarks) the same implementations are called
through :func:`pytest_iot_hil.plugin.standalone.hil_hook`, with
``config=None``: an implementation must not need ``config`` to do its job.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pathlib import Path

    from ..console import Console
    from ..protocols.boot import BootObserver
    from ..protocols.health import DeviceAgent
    from ..protocols.power import PowerSwitch
    from ..protocols.target import Target, TargetDescription
    from ..protocols.update import UpdateClient


# -- backends ---------------------------------------------------------------------------


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
    once per module or session with ``--hil-scope``), and by a campaign for
    its trace and runners. ``log_dir`` is the run's log directory
    (``--hil-log-dir``), for backends that write logs worth keeping after the
    run. Return ``None`` if you do not handle ``description.backend``. Stops
    at the first non-``None`` result. The caller starts the target and always
    calls ``close()`` on it.
    """


# -- device profiles ------------------------------------------------------------------


def pytest_hil_device_names(config: pytest.Config) -> list[str]:
    """Return the device profile names this plugin provides (e.g. ``["demo"]``).

    A target names its profile with ``device = "NAME"`` in the inventory; the
    run stops at start-up when no installed plugin provides that name.
    Results of all implementations are concatenated.
    """


def pytest_hil_builtin_targets(config: pytest.Config) -> list["TargetDescription"]:
    """Return target descriptions that exist without an inventory file.

    Called when the inventory is loaded. A device profile that ships its own
    firmware offers a target here (the demo profile: ``qemu-mps2-an385``, the
    default target of a run without configuration). An inventory entry of the
    same name replaces a built-in one. Results of all implementations are
    concatenated.
    """


def pytest_hil_run_target(config: pytest.Config, description: "TargetDescription") -> None:
    """Called once a ``--hil`` run has chosen its target (after it was validated).

    A device profile built for several boards adapts here: the demo profile
    picks the image set of the target's board, so ``demo_image("v2", "B")``
    means the STM32F4 build under ``--hil-target renode-stm32f4``. Also called
    when the target's emulator is not installed (its tests then skip).
    """


@pytest.hookspec(firstresult=True)
def pytest_hil_make_update_client(config: pytest.Config, target: "Target", console: "Console") -> "UpdateClient | None":
    """Create the update client behind the ``ota`` fixture.

    Called once per test that uses ``ota``, and by a power-cut campaign for
    its trace and its runners. A device profile looks at
    ``target.description.device`` and returns an
    :class:`~pytest_iot_hil.protocols.update.UpdateClient` subclass that
    speaks its firmware's update protocol (over ``console``, or any other link
    it opens), or ``None`` for targets that are not its own. Stops at the
    first non-``None`` result; with none, ``ota`` fails naming the
    ``device`` key.
    """


@pytest.hookspec(firstresult=True)
def pytest_hil_make_boot_observer(config: pytest.Config, target: "Target", console: "Console") -> "BootObserver | None":
    """Create the boot observer behind the ``boot`` fixture and the boot assertions.

    Called once per console (the ``console`` fixture, a campaign's devices). A
    device profile returns a :class:`~pytest_iot_hil.protocols.boot.BootObserver`
    that reads its firmware's boot reports from ``console`` when
    ``target.description.device`` names it, ``None`` otherwise. Stops at the
    first non-``None`` result.
    """


@pytest.hookspec(firstresult=True)
def pytest_hil_make_device_agent(config: pytest.Config, target: "Target", console: "Console") -> "DeviceAgent | None":
    """Create the health agent a fleet rehearsal uses for one device.

    Called once per fleet device. A device profile returns a
    :class:`~pytest_iot_hil.protocols.health.DeviceAgent` (metrics, fault
    reports, board identity) for targets whose ``device`` names it, ``None``
    otherwise. Stops at the first non-``None`` result; with none, the fleet
    stops naming the ``device`` key.
    """


# -- power ----------------------------------------------------------------------------------


@pytest.hookspec(firstresult=True)
def pytest_hil_make_power(config: pytest.Config, target: "Target") -> "PowerSwitch | None":
    """Create the power switch behind the ``power`` fixture for ``target``.

    Called once per test that uses ``power`` (and to power a shared target
    back on). A power driver plugin looks at ``target.description.power`` (the
    inventory's ``[targets.NAME.power]`` table) and returns a
    :class:`~pytest_iot_hil.protocols.PowerSwitch` when its ``driver`` names
    it, ``None`` otherwise; a broken table raises
    :class:`~pytest_iot_hil.errors.HilConfigError`. The built-in
    implementation runs last: it knows the ``command`` driver, and without a
    ``power`` table returns the target's own switch (emulators,
    :class:`~pytest_iot_hil.protocols.power.BuiltInPower`), or raises naming
    the table to add. Stops at the first non-``None`` result.
    """


# -- on-target unit tests --------------------------------------------------------------------


@pytest.hookspec(firstresult=True)
def pytest_hil_unit_patterns(config: pytest.Config, description: "TargetDescription"):
    """How a test image on ``description`` announces its start and a fault.

    Called once per on-target test image (``@pytest.mark.hil_unit``). A device
    profile returns a :class:`pytest_iot_hil.unit.run.DevicePatterns` with
    ``boot`` (a regex its images print once at start; seen twice, the device
    reset) and ``fault`` (a regex with a ``pc`` group in hex, and optionally
    ``lr`` and ``kind``: the running case fails with the PC symbolized from
    the ELF). Zephyr's fault report is known without a profile. Return
    ``None`` for targets that are not yours. Stops at the first non-``None``
    result.
    """
