"""A simulated SWD debug probe for pyOCD: pytest-iot-hil's pyOCD backend is tested through it.

See :mod:`.probe` (what pyOCD talks to), :mod:`.debug` (the Cortex-M debug
registers and ROM table), :mod:`.boards` (Python memory, or a QEMU machine)
and :mod:`.registry` (which probes are plugged in).
"""

# pyOCD first: while it initializes it loads its probe plugins, this package's among them.
import pyocd  # noqa: F401,E402

from .registry import ENV, attached, board_of

__all__ = ["ENV", "attached", "board_of"]
