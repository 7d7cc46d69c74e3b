"""Power control: drivers (one module each) and power-cut triggers.

* :class:`TargetPower` - the target's own power (emulators: exact cuts);
* :class:`CommandPower` - any bench relay, PDU or USB hub with a command line;
* :mod:`.triggers` - *when* to cut: a console pattern, the N-th update byte,
  a time after an event, or the k-th flash write (emulators).
"""

from .command import CommandPower
from .control import Cut, Power, PowerCutInterrupt, PowerCutNotTriggered
from .emulated import TargetPower
from .triggers import after, after_update_bytes, at_flash_write, on_console



def power_from_spec(description, target=None):
    """The built-in power drivers from a ``[targets.NAME.power]`` table.

    With ``target=None`` it only validates (the run does that at start-up, so
    a broken table stops the run before any test).
    """
    from ..errors import HilConfigError

    spec = description.options.get("power")
    where = f"{description.source}: [targets.{description.name}.power]"
    if not isinstance(spec, dict) or not isinstance(spec.get("driver"), str):
        raise HilConfigError(f'{where} must be a table with a `driver` key (e.g. driver = "command")')
    if spec["driver"] == "command":
        return CommandPower.from_spec(spec, where)
    if spec["driver"] == "target":
        return TargetPower(target) if target is not None else None
    raise HilConfigError(f"{where}: no installed plugin provides power driver {spec['driver']!r} "
                         "(built in: command, target)")


__all__ = [
    "power_from_spec",
    "CommandPower", "Cut", "Power", "PowerCutInterrupt", "PowerCutNotTriggered", "TargetPower",
    "after", "after_update_bytes", "at_flash_write", "on_console",
]
