"""Registers the built-in power drivers through pytest-iot-hil's hooks.

A pytest plugin of its own (``pytest11`` entry point ``iot_hil_power``),
written as a third-party driver would be: it answers ``pytest_hil_make_power``
for the drivers of this package (one module each: ``command``, ``scpi``,
``uhubctl``, ``serial_relay``, ``gpio``, ``manual``), and, running last,
gives a target without a ``[targets.NAME.power]`` table its own switch
(emulators) or a clear error. A team's own driver is a plugin answering the
same hook for its own ``driver`` name.

Its hooks are ``optionalhook``: with the core plugin disabled (``-p no:iot_hil``)
they are simply never called.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

import pytest

from ..errors import HilConfigError

if TYPE_CHECKING:  # pragma: no cover
    from ..protocols.power import PowerSwitch
    from ..protocols.target import Target, TargetDescription

#: Drivers this plugin provides: name -> (module of this package, class with ``from_spec(spec, where)``).
DRIVERS = {
    "command": ("command", "CommandPower"),
    "scpi": ("scpi", "ScpiPower"),
    "uhubctl": ("uhubctl", "UhubctlPower"),
    "serial_relay": ("serial_relay", "SerialRelayPower"),
    "gpio": ("gpio", "GpioPower"),
    "manual": ("manual", "ManualPower"),
}
BUILTIN_DRIVERS = (*DRIVERS, "target")


def driver_class(name: str):
    module, cls = DRIVERS[name]
    return getattr(importlib.import_module(f"{__package__}.{module}"), cls)


def power_table(description: "TargetDescription") -> tuple[dict, str]:
    """The ``[targets.NAME.power]`` table and where it is, for messages (it must name a driver)."""
    spec = description.power
    where = f"{description.source}: [targets.{description.name}.power]"
    if not isinstance(spec, dict) or not isinstance(spec.get("driver"), str) or not spec["driver"]:
        raise HilConfigError(f'{where} must be a table with a `driver` key (e.g. driver = "command")')
    return spec, where


def check_power_table(description: "TargetDescription") -> None:
    """A broken table of a built-in driver stops the run before any test (other drivers: when used)."""
    if description.power is None:
        return
    spec, where = power_table(description)
    if spec["driver"] in DRIVERS:
        driver_class(spec["driver"]).from_spec(spec, where)
    elif spec["driver"] == "target" and set(spec) != {"driver"}:
        raise HilConfigError(f"{where}: the target driver takes no other keys")


def own_power(target: "Target") -> "PowerSwitch":
    """The target's own switch, or an error naming the inventory table to add."""
    from ..protocols.power import BuiltInPower

    if isinstance(target, BuiltInPower):
        return target.power_switch()
    d = target.description
    raise HilConfigError(
        f"target {d.name!r} (backend {d.backend!r}) has no power switch of its own: add a "
        f"[targets.{d.name}.power] table to {d.source} (e.g. driver = \"command\", on = \"...\", off = \"...\")"
    )


@pytest.hookimpl(trylast=True, optionalhook=True)
def pytest_hil_make_power(config: pytest.Config, target: "Target") -> "PowerSwitch | None":
    description = target.description
    if description.power is None:
        return own_power(target)
    spec, where = power_table(description)
    if spec["driver"] == "manual":
        return driver_class("manual").from_spec(spec, where, name=f"target {description.name!r}")
    if spec["driver"] in DRIVERS:
        return driver_class(spec["driver"]).from_spec(spec, where)
    if spec["driver"] == "target":
        return own_power(target)
    raise HilConfigError(f"{where}: no installed plugin provides power driver {spec['driver']!r} "
                         f"(built in: {', '.join(BUILTIN_DRIVERS)})")
