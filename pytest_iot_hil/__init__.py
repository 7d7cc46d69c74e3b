"""pytest-iot-hil: hardware-in-the-loop testing of firmware updates with pytest.

Layers (one folder each):

* ``protocols/`` - what a target, a power switch, a console's boot reports, an
                   update client and an emulator's flash powers can do;
* ``console/``   - the expect-style UART console;
* ``backends/``  - ways of running a target: ``emulated.py`` (what every emulator
                   shares), ``qemu/`` (Renode and pyOCD boards to come);
* ``power/``     - power drivers (one module each) and power-cut triggers;
* ``update/``    - update client helpers;
* ``images/``    - MCUboot images: reading, signing through imgtool, tampering;
* ``devices/``   - device profiles, everything one firmware defines (``demo/``);
* ``campaign/``  - power cuts at every flash write, judged by a profile's oracle;
* ``plugin/``    - the pytest layer: options, hookspecs, fixtures, reporting.
"""

from typing import TYPE_CHECKING

from .lazy import lazy_exports

__version__ = "0.1.0"

# Public names, imported on first use: pytest loads this package in every
# run through its entry points, and a run without --hil should not pay for
# pexpect, pyserial or the assertions (PEP 562 module __getattr__).
_EXPORTS = {
    "BootHistory": ".assertions", "assert_boot_attempts": ".assertions",
    "assert_rolled_back": ".assertions", "assert_running": ".assertions",
    "BootInfo": ".protocols", "BootObserver": ".protocols", "UpdateClient": ".protocols",
    "Console": ".console", "ConsoleClosed": ".console", "ConsoleTimeout": ".console", "open_console": ".console",
    "HilConfigError": ".errors", "HilError": ".errors", "TargetError": ".errors",
    "FirmwareImage": ".firmware",
    "MemoryRegion": ".protocols", "PowerSwitch": ".protocols", "Target": ".protocols",
    "TargetDescription": ".protocols",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .assertions import BootHistory, assert_boot_attempts, assert_rolled_back, assert_running
    from .console import Console, ConsoleClosed, ConsoleTimeout, open_console
    from .errors import HilConfigError, HilError, TargetError
    from .firmware import FirmwareImage
    from .protocols import BootInfo, BootObserver, MemoryRegion, PowerSwitch, Target, TargetDescription, UpdateClient
