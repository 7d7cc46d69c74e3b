"""The pyOCD backend: real Cortex-M boards on a lab bench, through any probe pyOCD drives.

``PyocdTarget`` lives in :mod:`.target`; it (and pyOCD) is imported on first
use, so registering the backend costs nothing where pyOCD is not installed.
"""


def __getattr__(name: str):
    if name == "PyocdTarget":
        from .target import PyocdTarget

        return PyocdTarget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["PyocdTarget"]
