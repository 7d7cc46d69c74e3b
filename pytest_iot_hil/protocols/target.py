"""The target protocol shared by every backend (QEMU, Renode, pyOCD boards).

A :class:`TargetDescription` is plain data read from the inventory; a
:class:`Target` is the live object a backend builds from it.  Tests only use
the methods below, so a suite written against QEMU runs unchanged on Renode or
a real board. Power is not a target's own business: it goes through a
:class:`~pytest_iot_hil.protocols.power.PowerSwitch` (emulators bring theirs,
see :class:`~pytest_iot_hil.protocols.power.BuiltInPower`). What only an
emulator can do with flash is in :mod:`.flash`.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Callable

from ..errors import HilConfigError
from ..firmware import FirmwareImage


class RegionNotFound(HilConfigError, KeyError):
    """A region name the target description does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclasses.dataclass(frozen=True)
class MemoryRegion:
    """A named address range of the target, e.g. ``slot_a`` or ``journal``."""

    name: str
    start: int
    size: int
    #: ``True`` for memory that keeps its contents without power (flash).
    nonvolatile: bool = True

    @property
    def end(self) -> int:
        return self.start + self.size

    def __contains__(self, address: int) -> bool:
        return self.start <= address < self.end


@dataclasses.dataclass(frozen=True)
class TargetDescription:
    """One entry of the inventory: which backend, which firmware, which memory.

    ``options`` holds the backend's own keys (``machine`` for QEMU, ``probe``
    for pyOCD, ...), exactly as written in the inventory.
    """

    name: str
    backend: str
    firmware: Path | None
    #: The memory that survives a power cycle ("flash"), and named sub-regions.
    flash: MemoryRegion | None = None
    regions: tuple[MemoryRegion, ...] = ()
    #: Where a raw ``.bin`` firmware file is loaded.
    load_address: int = 0
    #: The value erased flash reads as.
    erased_byte: int = 0xFF
    options: dict[str, Any] = dataclasses.field(default_factory=dict)
    #: Where the description came from, for error messages.
    source: str = "<built-in>"
    #: The device profile whose firmware this target runs (``device = "demo"``):
    #: it provides the update client, the boot observer and the image rules.
    device: str | None = None
    #: How the target takes updates when its device profile does not say (``update = "smp"``: MCUmgr).
    update: str | None = None
    #: The ``[targets.NAME.power]`` table: which power switch drives the target
    #: (``driver = "command"``, ...); ``None``: the target's own, if it has one.
    power: dict[str, Any] | None = None
    #: Free-form facts for choosing boards (``--hil-board family=nucleo``): ``tags = { family = "nucleo" }``.
    tags: dict[str, str] = dataclasses.field(default_factory=dict)

    def region(self, name: str) -> MemoryRegion:
        for region in self.regions:
            if region.name == name:
                return region
        known = ", ".join(r.name for r in self.regions) or "none"
        raise RegionNotFound(
            f"target {self.name!r} has no region {name!r} (known: {known}): "
            f"add it under [targets.{self.name}.regions] in {self.source}"
        )

    def region_of(self, address: int) -> MemoryRegion | None:
        for region in self.regions:
            if address in region:
                return region
        return None


class Target(ABC):
    """A device under test, powered, flashed and reachable over a console.

    Lifecycle: the pytest layer calls :meth:`start` once, uses the target, and
    always calls :meth:`close` (also after failures and interrupts).
    """

    #: Backend name as used in the inventory (``backend = "qemu"``).
    backend: str = ""

    def __init__(self, description: TargetDescription) -> None:
        self.description = description
        self._console_listeners: list[Callable[[], None]] = []

    @property
    def name(self) -> str:
        return self.description.name

    # -- lifecycle -------------------------------------------------------
    @abstractmethod
    def start(self, firmware: FirmwareImage | None) -> None:
        """Power the target up with ``firmware`` programmed (``None``: keep flash)."""

    @abstractmethod
    def close(self) -> None:
        """Release everything (processes, sockets, probes). Idempotent."""

    # -- reset -------------------------------------------------------------
    @abstractmethod
    def reset(self) -> None:
        """System reset: the core restarts, RAM and flash keep their contents."""

    @property
    def powered(self) -> bool:
        """Whether the target is up. Power itself is a :class:`~pytest_iot_hil.protocols.power.PowerSwitch`'s
        business; a target that knows when it lost power (an emulator) says so here."""
        return True

    # -- memory ------------------------------------------------------------
    @abstractmethod
    def read_memory(self, address: int, size: int) -> bytes:
        """Read target memory (the core may be halted briefly)."""

    @abstractmethod
    def write_memory(self, address: int, data: bytes) -> None:
        """Write target memory (on emulators this includes emulated flash)."""

    # -- firmware ---------------------------------------------------------
    @abstractmethod
    def program(self, firmware: FirmwareImage) -> None:
        """Program ``firmware`` into the target and boot it."""

    # -- console ----------------------------------------------------------
    @abstractmethod
    def console_port(self) -> Any:
        """The open pyserial-compatible port of the console UART.

        The target owns the port: it opens it before the core runs (so no
        output is lost) and replaces it when the link has to be re-made, then
        calls the listeners registered with :meth:`on_console_reconnect`.
        """

    def after_console_send(self) -> None:
        """Called after the console sent data; a backend may need to nudge delivery."""

    #: Seconds a console port that vanished (a USB serial port across a power cycle) is
    #: waited for and reopened with :meth:`reopen_console`; 0: a vanished port ends the console.
    console_reopen_s: float = 0.0

    def reopen_console(self) -> Any:
        """Open the console port again and return it (targets with ``console_reopen_s`` > 0)."""
        raise NotImplementedError(f"{type(self).__name__} cannot reopen its console")

    def on_console_reconnect(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` whenever the console port must be re-opened.

        Emulators that restart on a power cycle get a new UART socket; the
        console re-opens it so a test keeps one ``console`` object throughout.
        """
        self._console_listeners.append(callback)

    def remove_console_listener(self, callback: Callable[[], None]) -> None:
        if callback in self._console_listeners:
            self._console_listeners.remove(callback)

    def _console_reconnected(self) -> None:
        for callback in list(self._console_listeners):
            callback()

    def diagnose(self) -> str | None:
        """Why the target stopped answering, if the backend knows (an emulator that exited by itself).

        The console adds it to a timeout or a closed link, so a crash is
        reported with its cause. ``None``: nothing known.
        """
        return None

    # -- reporting --------------------------------------------------------
    def properties(self) -> dict[str, str]:
        """Facts recorded in the JUnit report (backend, machine, probe, ...)."""
        return {"hil_target": self.name, "hil_backend": self.backend}

    def __enter__(self) -> "Target":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
