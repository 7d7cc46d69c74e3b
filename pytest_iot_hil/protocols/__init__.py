"""What things can do, as small abstract classes and plain dataclasses.

* ``target``  - :class:`Target` (start, close, reset, program, memory, console port) and its description;
* ``power``   - :class:`PowerSwitch` (on, off, cycle) and :class:`BuiltInPower` (a target with its own);
* ``flash``   - :class:`FlashWrite`, :class:`FlashWatch`/:class:`FlashWatcher` (trap stores, cut
  before the k-th) and :class:`FlashState` (whole flash as data, boot from a state): emulators only;
* ``boot``    - :class:`BootInfo` and :class:`BootObserver`: what a device says about its boots;
* ``update``  - :class:`UpdateClient`: install, transfer with progress, activate, confirm, mark bad, reboot.

Tests and engines talk to these protocols only; which backend, switch or
device profile stands behind one is decided by the inventory.
"""

from .boot import BootInfo, BootObserver
from .flash import FlashState, FlashWatch, FlashWatcher, FlashWrite, require
from .power import BuiltInPower, PowerSwitch
from .target import MemoryRegion, Target, TargetDescription
from .update import Progress, TransferResult, UpdateClient, UpdateError

__all__ = [
    "BootInfo", "BootObserver", "BuiltInPower", "FlashState", "FlashWatch", "FlashWatcher", "FlashWrite",
    "MemoryRegion", "PowerSwitch", "Progress", "Target", "TargetDescription", "TransferResult", "UpdateClient",
    "UpdateError", "require",
]
