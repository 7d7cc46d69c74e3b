"""pytest-iot-hil: hardware-in-the-loop testing of firmware updates with pytest.

Layers (one folder each):

* ``protocols/`` - what a target and a power switch can do;
* ``backends/``  - QEMU implementing them (Renode and pyOCD boards to come);
* ``console/``   - the expect-style UART console;
* ``power/``     - power drivers and power-cut triggers;
* ``update/``    - update clients (the demo firmware's UART protocol);
* ``images/``    - MCUboot images: reading, signing through imgtool, tampering;
* ``bootstate/`` - the bootloader's BOOT/info lines and its journal;
* ``campaign/``  - power cuts at every flash write, judged by invariants;
* ``plugin/``    - the pytest layer: options, fixtures, reporting, hookspecs.
"""

from .assertions import BootHistory, assert_boot_attempts, assert_rolled_back, assert_running
from .console import Console, ConsoleClosed, ConsoleTimeout, open_console
from .errors import HilConfigError, HilError, TargetError
from .firmware import FirmwareImage
from .protocols import MemoryRegion, PowerSwitch, Target, TargetDescription

__version__ = "0.1.0"

__all__ = [
    "BootHistory", "assert_boot_attempts", "assert_rolled_back", "assert_running",

    "Console", "ConsoleClosed", "ConsoleTimeout", "FirmwareImage", "HilConfigError", "HilError",
    "MemoryRegion", "PowerSwitch", "Target", "TargetDescription", "TargetError", "open_console",
]
