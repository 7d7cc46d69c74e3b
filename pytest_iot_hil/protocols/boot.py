"""What a device says about its boots: the boot protocol.

Every firmware announces a boot its own way (a bootloader line, an MCUmgr
image list, a banner). A device profile turns that into :class:`BootInfo`
records through a :class:`BootObserver`; the generic assertions
(:mod:`pytest_iot_hil.assertions`), the campaign and the fleet engine use
only this protocol, never a firmware's own format.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import ClassVar


@dataclasses.dataclass(frozen=True)
class BootInfo:
    """One boot, as the device reported it.

    ``slot``/``version`` are ``None`` when no application runs (recovery).
    ``state`` is the running image's update state in the device's words
    (``CONFIRMED``, ``PENDING``, ...), ``tries`` the trial boots left,
    ``reset`` why the device reset, ``rollback`` why it fell back (``NONE``
    when it did not). A profile may subclass this with its own fields and
    list them in :attr:`columns` for the boot-history table.
    """

    slot: str | None
    version: str | None
    state: str
    tries: int = 0
    reset: str = ""
    rollback: str = "NONE"
    raw: str = ""

    #: The fields shown, in order, by the boot-history table of a failed assertion.
    columns: ClassVar[tuple[str, ...]] = ("slot", "version", "state", "tries", "reset", "rollback")

    @property
    def recovery(self) -> bool:
        """No application runs (the bootloader found nothing it may boot)."""
        return self.slot is None

    @property
    def rolled_back(self) -> bool:
        return self.rollback not in ("", "NONE", None)

    @property
    def trial(self) -> bool:
        """The running image is on trial (not yet confirmed)."""
        return self.state == "PENDING"


class BootObserver(ABC):
    """Watches one device's console for boots and asks the device what runs.

    Made by the device profile (hook ``pytest_hil_make_boot_observer``) for a
    target and its console; behind the ``boot`` fixture and ``device.boot``
    in campaigns.
    """

    @abstractmethod
    def wait_for_boot(self, timeout: float | None = None, *, app: bool = True) -> BootInfo:
        """Wait for the device's next boot report and return it.

        With ``app=True`` also wait until the application says it is up (its
        banner), unless the boot report says none runs. Raises the console's
        timeout error (a ``pexpect.TIMEOUT``) when nothing comes.
        """

    @abstractmethod
    def running(self) -> BootInfo:
        """Ask the running device which slot, version and state it runs now."""

    @abstractmethod
    def history(self, transcript: str) -> list[BootInfo]:
        """Every boot report in ``transcript`` (console text), oldest first."""
