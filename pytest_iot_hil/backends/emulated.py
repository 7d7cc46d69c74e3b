"""What every emulated target shares, whichever emulator runs it.

* the whole flash as one image built from the firmware files (erased bytes
  around the segments), so a power cycle has something exact to restore;
* flash saved at power-off and written back at power-on, readable and
  writable while off (:class:`~pytest_iot_hil.protocols.flash.FlashState`);
* the emulated power switch (:class:`EmulatedPower`): off stops the machine
  with flash kept, on starts it with RAM and peripherals fresh.

A backend subclasses :class:`EmulatedTarget` and implements the machine's
life: :meth:`~EmulatedTarget._power_up`, :meth:`~EmulatedTarget._power_down`,
:meth:`~EmulatedTarget._read_live` and :attr:`~EmulatedTarget.powered`.
"""

from __future__ import annotations

import threading
from abc import abstractmethod
from typing import Callable

from ..errors import TargetError
from ..firmware import FirmwareImage, Segment
from ..protocols.flash import FlashState, FlashWatch
from ..protocols.power import BuiltInPower, PowerSwitch
from ..protocols.target import Target, TargetDescription


def flash_image(description: TargetDescription, firmware: FirmwareImage | None) -> tuple[bytes | None, list[Segment]]:
    """The whole flash as ``firmware`` leaves it (erased elsewhere), and the segments outside flash.

    Without a flash region in the description the image is ``None`` and every
    segment is returned as is.
    """
    segments = list(firmware.segments) if firmware else []
    flash = description.flash
    if flash is None:
        return None, segments
    image = bytearray([description.erased_byte]) * flash.size
    others = []
    for seg in segments:
        if flash.start <= seg.address and seg.end <= flash.end:
            off = seg.address - flash.start
            image[off : off + len(seg.data)] = seg.data
        else:
            others.append(seg)
    return bytes(image), others


def changed_span(before: bytes, after: bytes, word: int = 4) -> tuple[int, int] | None:
    """``(lo, hi)``: the whole words of ``after`` (as long as ``before``) that hold every changed byte; None if none.

    Compares in 4 KiB chunks first, so that a 1 MiB flash dump with a few
    changed bytes is not scanned byte by byte in Python.
    """
    if before == after:
        return None
    size, chunk = len(after), 4096
    start = next(o for o in range(0, size, chunk) if before[o:o + chunk] != after[o:o + chunk])
    first = next(i for i in range(start, min(size, start + chunk)) if after[i] != before[i])
    end = next(o for o in range((size - 1) // chunk * chunk, -1, -chunk) if before[o:o + chunk] != after[o:o + chunk])
    last = next(i for i in range(min(size, end + chunk) - 1, end - 1, -1) if after[i] != before[i])
    return first - first % word, min(size, last - last % word + word)


class ServedFlashWatch(FlashWatch):
    """A flash watch served by a thread of its own (every emulator backend's watch).

    A subclass starts the thread with :meth:`_start_serving` once its traps are
    set, implements :meth:`_serve` (which returns when ``_stop`` is set), and
    calls :meth:`_stop_serving` first thing in ``close()``.
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self._name = name
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abstractmethod
    def _serve(self) -> None:
        """Trap until ``_stop`` is set, a cut was made or the target went off."""

    def _start_serving(self) -> None:
        self._thread = threading.Thread(target=self._serve, name=f"flash-watch-{self._name}", daemon=True)
        self._thread.start()

    def _stop_serving(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def stop_watching(self) -> None:
        """Stop trapping (the target lost power); ``close()`` still tidies up."""
        self._stop.set()

    @property
    def active(self) -> bool:
        """Whether stores are still being trapped (False after a cut, a power-off or close())."""
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()


class EmulatedPower(PowerSwitch):
    """An emulated target's own supply: exact cuts, flash kept, RAM lost."""

    def __init__(self, target: "EmulatedTarget") -> None:
        self.target = target

    def off(self) -> None:
        self.target.power_off()

    def on(self) -> None:
        self.target.power_on()


class EmulatedTarget(Target, FlashState, BuiltInPower):
    """A target run by an emulator: power, flash state and firmware images handled here."""

    def __init__(self, description: TargetDescription) -> None:
        super().__init__(description)
        self._firmware: FirmwareImage | None = None
        #: Flash contents saved at power-off, written back at power-on.
        self._saved_flash: bytes | None = None
        #: Power changes and everything that must not interleave with them
        #: (a backend's control link); re-entrant, so a watch thread that
        #: holds it may cut power.
        self._power_lock = threading.RLock()
        self.boots = 0

    # -- what a backend implements ------------------------------------------------
    @abstractmethod
    def _power_up(self, flash: bytes | None, others: list[Segment]) -> None:
        """Start the machine with ``flash`` (the whole region) and ``others`` loaded, and let it run."""

    @abstractmethod
    def _power_down(self) -> None:
        """Stop the machine and release it (flash was saved already). Idempotent."""

    @abstractmethod
    def _read_live(self, address: int, size: int) -> bytes:
        """Read memory of the running machine."""

    def _before_power_down(self) -> None:
        """Called under the power lock before flash is saved (e.g. stop a flash watch)."""

    # -- lifecycle ----------------------------------------------------------------------
    def start(self, firmware: FirmwareImage | None) -> None:
        self._firmware = firmware
        self._saved_flash = None
        with self._power_lock:
            self._power_up(*flash_image(self.description, firmware))

    def program(self, firmware: FirmwareImage) -> None:
        self.power_off()
        self.start(firmware)

    # -- power --------------------------------------------------------------------------
    def power_switch(self) -> PowerSwitch:
        return EmulatedPower(self)

    def power_off(self) -> None:
        """Cut power: the core stops where it is; flash keeps exactly what was stored."""
        with self._power_lock:
            self._before_power_down()
            flash = self.description.flash
            try:
                if flash is not None and self.powered:
                    self._saved_flash = self._read_live(flash.start, flash.size)
            finally:
                self._power_down()
                self._console_reconnected()

    def power_on(self) -> None:
        """Restore power: boot from the flash the last power-off left (RAM and peripherals fresh)."""
        with self._power_lock:
            if self.powered:
                return
            if self.description.flash is not None and self._saved_flash is not None:
                self._power_up(self._saved_flash, [])
            else:
                # No flash state kept: the firmware is all there is to restore.
                self._power_up(*flash_image(self.description, self._firmware))

    # -- flash state ------------------------------------------------------------------
    def _flash_region(self):
        flash = self.description.flash
        if flash is None:
            raise TargetError(
                f"target {self.name!r} describes no flash region: add `flash = {{ start = 0x0, size = 0x100000 }}` "
                f"to [targets.{self.name}] in {self.description.source}"
            )
        return flash

    def read_flash(self) -> bytes:
        flash = self._flash_region()
        with self._power_lock:
            if not self.powered:
                if self._saved_flash is not None:
                    return self._saved_flash
                image, _ = flash_image(self.description, self._firmware)
                return image
            return self.read_memory(flash.start, flash.size)

    def write_flash(self, image: bytes) -> None:
        flash = self._flash_region()
        if len(image) != flash.size:
            raise TargetError(f"a flash image of target {self.name!r} has {flash.size} bytes, not {len(image)}")
        with self._power_lock:
            if self.powered:
                raise TargetError(f"write_flash needs target {self.name!r} powered off: call power_off() first")
            self._saved_flash = bytes(image)

    def boot_flash_state(self, image: bytes, *, on_stopped: Callable[[], object] | None = None) -> None:
        """Power on from exactly ``image``: a power cycle with that flash (backends may do it in place)."""
        with self._power_lock:
            if self.powered:
                self.power_off()
            if on_stopped is not None:
                on_stopped()
            self.write_flash(image)
            self.power_on()

    def read_memory(self, address: int, size: int) -> bytes:
        """Memory of the running machine; while off, flash reads what the power-off left."""
        with self._power_lock:
            if not self.powered and self._saved_flash is not None:
                flash = self.description.flash
                if flash and flash.start <= address and address + size <= flash.end:
                    off = address - flash.start
                    return self._saved_flash[off : off + size]
            return self._read_live(address, size)
