"""Power control: drivers (one module each) and power-cut triggers.

* emulated targets bring their own switch (``backends/emulated.py``: exact cuts);
* :class:`CommandPower` - any bench relay, PDU or USB hub with a command line;
* :mod:`.triggers` - *when* to cut: a console pattern, the N-th update byte,
  a time after an event, or the k-th flash write (targets that can watch flash).

Drivers register through the ``pytest_hil_make_power`` hook (the built-in ones
in :mod:`.plugin`, loaded by every pytest run), so a team adds its own without
patching this package.
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

# Imported on first use: the entry point loads ``power.plugin`` in every run.
_EXPORTS = {
    "CommandPower": "command",
    "Cut": "control", "Power": "control", "PowerCutInterrupt": "control", "PowerCutNotTriggered": "control",
    "after": "triggers", "after_update_bytes": "triggers", "at_flash_write": "triggers", "on_console": "triggers",
}

if TYPE_CHECKING:  # pragma: no cover
    from .command import CommandPower
    from .control import Cut, Power, PowerCutInterrupt, PowerCutNotTriggered
    from .triggers import after, after_update_bytes, at_flash_write, on_console

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
