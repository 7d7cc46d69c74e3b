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

__all__ = [
    "CommandPower", "Cut", "Power", "PowerCutInterrupt", "PowerCutNotTriggered", "TargetPower",
    "after", "after_update_bytes", "at_flash_write", "on_console",
]
