"""Trap every store into flash regions of a running QEMU target.

Used to record the ordered flash-write trace of an update and to cut power
right before the k-th write. Facts this relies on (QEMU 7.2,
re-measured here):

* a gdbstub write watchpoint (``Z2``) reports the hit *before* the store;
  to let the store through: remove it, single-step, re-insert, continue;
* the stop reply names the watchpoint (``watch:<start of its range>``), not
  the written address. So each 4 KiB sector gets its own watchpoint, and
  after the step the sector is diffed against a host-side mirror: that gives
  the exact bytes written, whatever store instruction wrote them;
* with TCP_NODELAY a trapped write costs ~1 ms.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from .target import GdbAccess, QemuTarget

from ...errors import TargetError
from ...protocols.flash import CutDecision, FlashWrite
from ...protocols.target import MemoryRegion
from ..emulated import ServedFlashWatch, changed_span
from .gdbstub import GdbTimeout

GRANULE = 0x1000
_WATCH = re.compile(rb"watch:([0-9a-fA-F]+)")


def _granules(regions: Sequence[MemoryRegion]) -> dict[int, tuple[int, str]]:
    out: dict[int, tuple[int, str]] = {}
    for region in regions:
        addr = region.start
        while addr < region.end:
            size = min(GRANULE - addr % GRANULE, region.end - addr)
            out[addr] = (size, region.name)
            addr += size
    return out


class QemuFlashWatch(ServedFlashWatch):
    """While active, every write into ``regions`` is trapped (a :class:`~pytest_iot_hil.protocols.flash.FlashWatch`).

    ``cut_before(index, region, sector)`` may ask for a power cut before a
    write; the target is then powered off with flash exactly as it was before
    that write. Writes that happen are appended to :attr:`writes`.
    """

    def __init__(self, access: "GdbAccess", target: "QemuTarget", regions: Sequence[MemoryRegion], *,
                 cut_before: CutDecision | None = None) -> None:
        super().__init__(target.name)
        self.access = access
        self.target = target
        self.regions = list(regions)
        self.cut_before = cut_before
        self._granules = _granules(self.regions)
        self._mirror: dict[int, bytes] = {}

    # -- lifecycle ---------------------------------------------------------
    def start(self) -> None:
        with self.access.lock:
            gdb = self.access.require()
            was_running = gdb.running
            gdb.halt()
            inserted = []
            try:
                for start, (size, _) in self._granules.items():
                    self._mirror[start] = gdb.read_memory(start, size)
                    gdb.insert_write_watchpoint(start, size)
                    inserted.append((start, size))
            except BaseException:
                for start, size in inserted:
                    gdb.remove_write_watchpoint(start, size)
                if was_running:
                    gdb.cont()
                raise
            if was_running:
                gdb.cont()
            self.access.watch = self
        self._start_serving()

    def close(self) -> None:
        self._stop_serving()
        target = self.target
        with self.access.lock:
            if self.access.watch is self:
                self.access.watch = None
            gdb = self.access.current
            if target.powered and gdb is not None:
                was_running = gdb.running
                gdb.halt()
                for start, (size, _) in self._granules.items():
                    gdb.remove_write_watchpoint(start, size)
                if was_running:
                    gdb.cont()
        if self.error is not None:
            raise TargetError(f"flash-write watch on {target.name!r} failed: {self.error}") from self.error

    # -- the service thread ---------------------------------------------------
    def _serve(self) -> None:
        target = self.target
        try:
            while not self._stop.is_set():
                with self.access.lock:
                    gdb = self.access.current
                    if gdb is None or not gdb.running:
                        # Powered off, or halted by the test thread (it resumes it).
                        if gdb is None:
                            return
                        continue
                    try:
                        reply = gdb.wait_stop(0.02)
                    except GdbTimeout:
                        continue
                    self._on_stop(gdb, reply)
                    if self.cut_at is not None:
                        return
        except BaseException as exc:  # reported by close()
            if not self._stop.is_set() and target.powered:
                self.error = exc

    def _on_stop(self, gdb, reply: bytes) -> None:
        match = _WATCH.search(reply)
        if match is None:
            # Not ours (e.g. a breakpoint of someone else): keep running.
            gdb.cont()
            return
        start = int(match.group(1), 16)
        size, region = self._granules[start]
        index = self.hits
        self.hits += 1
        if self.cut_before is not None and self.cut_before(index, region, start):
            self.cut_at = index
            # The core is halted at the store: flash holds exactly the stores before it.
            self.target.power_off()
            return
        gdb.remove_write_watchpoint(start, size)
        gdb.step()
        after = gdb.read_memory(start, size)
        gdb.insert_write_watchpoint(start, size)
        before = self._mirror[start]
        span = changed_span(before, after)
        if span is not None:
            lo, hi = span
            self.writes.append(FlashWrite(index, start + lo, before[lo:hi], after[lo:hi], region))
            self._mirror[start] = after
        else:
            # A store of what was already there (e.g. erasing erased flash).
            self.writes.append(FlashWrite(index, start, b"", b"", region))
        gdb.cont()
