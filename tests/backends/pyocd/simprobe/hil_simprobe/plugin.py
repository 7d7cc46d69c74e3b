"""pyOCD's entry point for the simulated probe (``pyocd.probe``: ``simprobe``).

Kept apart from :mod:`.probe`, and loading it lazily: pyOCD imports its probe
plugins while it initializes itself.
"""

from __future__ import annotations

from pyocd.core.plugin import Plugin


class SimProbePlugin(Plugin):
    def load(self):
        from .probe import SimProbe

        return SimProbe

    @property
    def name(self) -> str:
        return "simprobe"

    @property
    def description(self) -> str:
        return "Simulated SWD probe (pytest-iot-hil tests)"
