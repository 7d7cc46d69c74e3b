"""The QEMU backend: Cortex-M machines of ``qemu-system-arm``."""

from .target import QemuTarget

__all__ = ["QemuTarget"]
