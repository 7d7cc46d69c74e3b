"""The QEMU backend: Cortex-M machines of ``qemu-system-arm``.

``QemuTarget`` lives in :mod:`.target`; it is imported on first use so that
registering the backend (its ``pytest11`` entry point) costs nothing.
"""


def __getattr__(name: str):
    if name == "QemuTarget":
        from .target import QemuTarget

        return QemuTarget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["QemuTarget"]
