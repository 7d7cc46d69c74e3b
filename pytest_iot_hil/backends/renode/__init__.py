"""The Renode backend: Cortex-M machines of Renode, driven over its monitor.

``RenodeTarget`` (:mod:`.target`) and the monitor client (:mod:`.monitor`)
are imported on first use. Written against Renode's documented interface
and tested against a monitor simulator: Renode itself could not be
installed where this was built.
"""


def __getattr__(name: str):
    if name == "RenodeTarget":
        from .target import RenodeTarget

        return RenodeTarget
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["RenodeTarget"]
