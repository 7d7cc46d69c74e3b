"""What a target, a console link and a power switch can do.

Tests and fixtures talk to these protocols only; which backend stands behind
one is decided by the target description (see :mod:`pytest_iot_hil.inventory`).
"""

from .power import PowerSwitch
from .target import MemoryRegion, Target, TargetDescription

__all__ = ["MemoryRegion", "PowerSwitch", "Target", "TargetDescription"]
