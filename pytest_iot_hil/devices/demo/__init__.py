"""The demo firmware's device profile (``firmware_fixtures/``: an A/B bootloader and its app).

Everything the demo firmware defines lives here, and nothing outside this
folder knows it:

* ``layout``      - the memory map (written once) and the built-in target;
* ``plugin``      - the hooks: built-in target, update client, boot observer;
* ``client``      - its update client: SMP (MCUmgr) over the console, and its shell's ``mark-bad``;
* ``boot``, ``bootline`` - the BOOT line, the app banner and ``info`` (``DemoBootObserver``);
* ``journal``     - the boot-state journal decoded from flash (``read_journal``);
* ``image_check`` - a model of the bootloader's image check (``check_demo_image``);
* ``images``      - the committed images catalogue (``demo_image("v2", slot="B")``);
* ``oracle``, ``procedure`` - the campaign's ``DemoOracle`` (I1-I12) and ``DemoUpdate``;
* ``assertions``  - ``assert_journal_matches`` (console and journal agree).

A team's own firmware gets a folder of the same shape (see the README,
"Your own firmware").
"""

from typing import TYPE_CHECKING

from ...lazy import lazy_exports

# Imported on first use: the profile's plugin module is loaded by every pytest run.
_EXPORTS = {
    "assert_journal_matches": "assertions",
    "DemoBootObserver": "boot",
    "BootLine": "bootline", "InfoLine": "bootline", "parse_boot_line": "bootline", "parse_info_line": "bootline",
    "find_boot_lines": "bootline",
    "DemoUpdateClient": "client",
    "check_demo_image": "image_check",
    "demo_image": "images",
    "Journal": "journal", "read_journal": "journal",
    "DemoOracle": "oracle",
    "DemoUpdate": "procedure",
    "DemoAttack": "procedure",
}

if TYPE_CHECKING:  # pragma: no cover
    from .assertions import assert_journal_matches
    from .boot import DemoBootObserver
    from .bootline import BootLine, InfoLine, find_boot_lines, parse_boot_line, parse_info_line
    from .client import DemoUpdateClient
    from .image_check import check_demo_image
    from .images import demo_image
    from .journal import Journal, read_journal
    from .oracle import DemoOracle
    from .procedure import DemoAttack, DemoUpdate

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
