"""Watch a Renode target's flash operations, and cut power before any of them.

Renode's watchpoints are keyed by exact address (``sysbus AddWatchpointHook``),
so a range of flash cannot be watched store by store as QEMU's gdbstub can.
What the firmware always touches at a known address is its flash controller:
the demo's STM32F4 driver ends every program and every erase by locking the
controller (``FLASH_CR = LOCK``). So this watch works at the grain of flash
*operations*:

* one watchpoint hook on the controller's control register, whose Python
  script halts the core (``cpu.IsHalted = True``) when an operation ends and
  the watch is armed. The hook's script sees ``cpu``, ``address``, ``width``,
  ``value`` and ``self`` (the system bus), and keeps its scope between calls
  (Renode's ``WatchpointHookPythonEngine``);
* Renode has no monitor command that removes a script hook, so it is
  installed once per Renode process and armed and disarmed through a word of
  memory the platform maps for it (``control``; the demo's ``.repl`` maps a
  page at 0x90000000);
* a thread polls ``cpu IsHalted``; at each halt the machine is paused, the
  flash dumped and compared with the dump before the operation: that is
  one :class:`~pytest_iot_hil.protocols.flash.FlashWrite`, in the region the
  changed bytes are in. An operation that changed nothing (an erase of
  erased flash) has no region to tell: a watch on the whole flash records
  it with empty ``old`` and ``new``, a watch on some regions does not count it;
* a cut before operation k puts back the flash of before k (the dump taken
  when k-1 ended: nothing else writes flash between two operations) and
  powers the target off, so flash is exactly as it was before k.

A write is therefore one operation here (one program of a chunk, one sector
erase), not one 32-bit store as on QEMU; the emulator never stops inside an
operation (a campaign derives torn programs offline from their bytes).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Sequence

from ...errors import TargetError
from ...protocols.flash import CutDecision, FlashWrite
from ...protocols.target import MemoryRegion
from ..emulated import ServedFlashWatch, changed_span

if TYPE_CHECKING:  # pragma: no cover
    from .target import RenodeTarget

#: How often the watch asks whether the core halted.
POLL_S = 0.02


def hook_script(control: int, done_mask: int) -> str:
    """The hook's Python: halt the core at the end of an operation while the watch is armed."""
    return (f"if value & 0x{done_mask:08X} and self.ReadDoubleWord(0x{control:08X}) == 1: "
            f"cpu.IsHalted = True")


def _region_of(regions: Sequence[MemoryRegion], address: int) -> MemoryRegion | None:
    return next((r for r in regions if r.start <= address < r.end), None)


class RenodeFlashWatch(ServedFlashWatch):
    """While active, every flash operation is recorded (see the module's text); ``cut_before`` may cut power."""

    def __init__(self, target: "RenodeTarget", regions: Sequence[MemoryRegion], *,
                 cut_before: CutDecision | None = None, poll_s: float = POLL_S) -> None:
        super().__init__(target.name)
        self.target = target
        self.regions = list(regions)
        self.cut_before = cut_before
        self.poll_s = poll_s
        self._flash = target.description.flash
        self._whole_flash = any(r.start <= self._flash.start and self._flash.end <= r.end for r in self.regions)
        self._mirror = b""

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        target = self.target
        with target._power_lock:
            if not target.powered:
                raise TargetError(f"target {target.name!r} is powered off: power it on before watching flash")
            target._arm_flash_watch(True)
            self._mirror = target._dump_flash()
            target._flash_watch = self
        self._start_serving()

    def close(self) -> None:
        self._stop_serving()
        target = self.target
        with target._power_lock:
            if target._flash_watch is self:
                target._flash_watch = None
            if target.monitor is not None:
                target._arm_flash_watch(False)
                if target.powered and target._core_halted():
                    target._resume_core()   # halted by an operation that ended as the watch closed
        if self.error is not None:
            raise TargetError(f"flash-operation watch on {target.name!r} failed: {self.error}") from self.error

    # -- the service thread ---------------------------------------------------
    def _serve(self) -> None:
        target = self.target
        try:
            while not self._stop.is_set():
                with target._power_lock:
                    if self._stop.is_set() or not target.powered:
                        return
                    if target._core_halted():
                        self._on_operation()
                        if self.cut_at is not None:
                            return
                time.sleep(self.poll_s)
        except BaseException as exc:  # reported by close()
            if not self._stop.is_set() and target.powered:
                self.error = exc

    def _on_operation(self) -> None:
        target = self.target
        target._pause()
        before, after = self._mirror, target._dump_flash()
        self._mirror = after
        index = self.hits
        span = changed_span(before, after)
        if span is not None:
            lo, hi = span
            address = self._flash.start + lo
            region = _region_of(self.regions, address)
            if region is None:   # outside the watched regions: not counted
                target._resume_core()
                return
            write = FlashWrite(index, address, before[lo:hi], after[lo:hi], region.name)
        elif self._whole_flash:
            # Changed nothing (an erase of erased flash): a cut before it is a cut before the next one.
            write = FlashWrite(index, self._flash.start, b"", b"", self._flash.name)
        else:
            # Changed nothing, so no region can be told: counted only by a watch on the whole flash.
            target._resume_core()
            return
        self.hits += 1
        if self.cut_before is not None and self.cut_before(index, write.region, write.address):
            self.cut_at = index
            target._restore_flash(before)   # flash exactly as before this operation
            target.power_off()
            return
        self.writes.append(write)
        target._resume_core()
