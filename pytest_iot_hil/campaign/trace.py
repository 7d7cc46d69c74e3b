"""Record an update once, with every flash store trapped (the campaign's input).

A campaign is a loop over a counted trace, not a guess at timings (MCUboot's
simulator does the same): the update *procedure* runs once on an emulated
target whose flash regions are all watched, and every store is recorded in
order, together with named *marks* the procedure sets (e.g. "confirm_acked").
The flash at a cut before store k is then the initial image plus the first k
stores: the emulated execution up to that store is the same whether or not
power is cut there (QEMU runs the guest deterministically up to that store,
and a power cut only stops it), so no cut ever re-runs the update.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Callable, Sequence

from ..console import Console
from ..errors import HilConfigError
from ..protocols.boot import BootObserver
from ..protocols.flash import FlashState, FlashWatch, FlashWatcher, FlashWrite, require
from ..protocols.target import MemoryRegion, Target, TargetDescription
from ..protocols.update import UpdateClient
from .errors import CampaignConfigError, TraceError


@dataclasses.dataclass(frozen=True)
class Mark:
    """A named point of the procedure: ``index`` stores had happened when it was set."""

    name: str
    index: int


@dataclasses.dataclass
class Device:
    """What an update procedure (and an oracle) works with: the target, its console,
    the device profile's update client and boot observer."""

    target: Target
    console: Console
    ota: UpdateClient
    boot: BootObserver
    _on_mark: Callable[[str], None] = dataclasses.field(default=lambda name: None, repr=False)

    def mark(self, name: str) -> None:
        """Name this point of the procedure (recorded in the trace; a no-op when not tracing)."""
        self._on_mark(name)


#: ``procedure(device)`` drives one update on a booted device.
Procedure = Callable[[Device], None]


@dataclasses.dataclass(frozen=True)
class Trace:
    """The flash before the procedure, every store it made, and its marks."""

    flash_start: int
    initial: bytes
    writes: tuple[FlashWrite, ...]
    marks: tuple[Mark, ...]
    seconds: float = 0.0


def watched_regions(description: TargetDescription) -> list[MemoryRegion]:
    """The target's named regions, plus any part of its flash they leave out (named ``flash``).

    Every store must be seen, or the computed cut states would be wrong.
    """
    flash = description.flash
    if flash is None:
        raise TraceError(
            f"target {description.name!r} describes no flash region: add `flash = {{ start = 0x0, size = 0x100000 }}` "
            "to its inventory entry, a power-cut campaign needs to know what survives a cut"
        )
    named = sorted((r for r in description.regions if r.start < flash.end and r.end > flash.start), key=lambda r: r.start)
    out: list[MemoryRegion] = []
    cursor = flash.start
    for region in named:
        if region.start > cursor:
            out.append(MemoryRegion("flash", cursor, region.start - cursor))
        start = max(region.start, cursor)
        end = min(region.end, flash.end)
        if end > start:
            out.append(MemoryRegion(region.name, start, end - start))
        cursor = max(cursor, end)
    if cursor < flash.end:
        out.append(MemoryRegion("flash", cursor, flash.end - cursor))
    return out


def _settle(watch, quiet: float = 0.1, limit: float = 3.0) -> None:
    """Keep watching until flash has been quiet for ``quiet`` seconds.

    The procedure returns when the device *said* it was done; a device that
    answers before it writes (like the buggy variant B13) is still writing then, and
    those stores belong to the trace too.
    """
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        seen = watch.hits
        time.sleep(quiet)
        if watch.hits == seen:
            return


def check_consistent(initial: bytes, flash_start: int, writes: Sequence[FlashWrite]) -> None:
    """Replay ``writes`` over ``initial``; each store's *old* bytes must be what is there.

    A mismatch means flash changed behind the watch (a write before it started,
    or into memory it does not cover), so states computed from it would lie.
    """
    image = bytearray(initial)
    for w in writes:
        if not w.size:
            continue
        off = w.address - flash_start
        if image[off : off + len(w.old)] != w.old:
            raise TraceError(
                f"store #{w.index} at {w.address:#x} ({w.region}) found {bytes(image[off:off + len(w.old)]).hex()} "
                f"where the trace expected {w.old.hex()}: flash changed outside the watch (was the target still "
                "writing when the procedure started?). Make the procedure start from an idle device."
            )
        image[off : off + len(w.new)] = w.new


def record_trace(device: Device, procedure: Procedure) -> Trace:
    """Run ``procedure(device)`` once with every flash store trapped; return the trace."""
    target = device.target
    require_campaign_target(target)
    description = target.description
    regions = watched_regions(description)
    flash = description.flash
    initial = target.read_flash()
    marks: list[Mark] = []
    started = time.monotonic()
    try:
        with target.watch_flash_writes(regions) as watch:
            device._on_mark = lambda name: marks.append(Mark(name, watch.hits))
            try:
                procedure(device)
                _settle(watch)
                check_watching(watch, target)
            finally:
                device._on_mark = lambda name: None
    except TraceError:
        raise
    except Exception as exc:
        raise TraceError(
            f"the update procedure failed while its flash writes were being traced: {type(exc).__name__}: {exc}\n"
            f"last console lines:\n{device.console.tail(10)}"
        ) from exc
    writes = tuple(watch.writes)
    check_consistent(initial, flash.start, writes)
    return Trace(flash.start, initial, writes, tuple(marks), time.monotonic() - started)


def require_campaign_target(target: Target) -> None:
    """A campaign traces on a :class:`FlashWatcher` and boots states on a :class:`FlashState` target."""
    try:
        require(target, FlashWatcher, "a power-cut campaign")
        require(target, FlashState, "a power-cut campaign")
    except HilConfigError as exc:
        raise CampaignConfigError(str(exc)) from None


def check_watching(watch: FlashWatch, target: Target) -> None:
    """Raise :class:`TraceError` if the watch stopped trapping stores before the procedure ended.

    The trace would then miss stores silently and every state computed from it
    would be wrong: the procedure cut or cycled the target's power (which ends
    the watch), or the watch itself failed.
    """
    error, cut_at = watch.error, watch.cut_at
    if error is None and cut_at is None and target.powered and watch.active:
        return
    if error is not None:
        why = f"the flash watch failed: {type(error).__name__}: {error}"
    elif cut_at is not None:
        why = f"the watch cut power before store #{cut_at}"
    elif not target.powered:
        why = "the target was powered off during the procedure"
    else:
        why = "the flash watch stopped (was the target power-cycled during the procedure?)"
    raise TraceError(
        f"{why}; stores after that were not traced ({watch.hits} were), so the cut states would be wrong. "
        "The procedure must not cut or cycle power: let the device reset itself, or use target.reset()"
    )


def boot_state(device: Device, image: bytes, wait_booted: Callable[[Device], object] | None = None) -> int:
    """Power the device on from flash ``image`` (the console emptied first); then ``wait_booted(device)``.

    The console is emptied once the old firmware has stopped, so that what is
    expected next comes from this boot, not from the one before (its app, or
    the first boot of a device just opened, may still have been printing).
    Returns the console's mark from right before the power-on (for
    ``transcript_since``).
    """
    device.console.discard_pending()
    marks = [device.console.mark]

    def stopped() -> None:
        device.console.discard_pending()
        marks.append(device.console.mark)

    device.target.boot_flash_state(image, on_stopped=stopped)
    mark = marks[-1]
    if wait_booted is not None:
        wait_booted(device)
    return mark


def record_recovery_boot(device: Device, image: bytes, wait_booted: Callable[[Device], object]) -> tuple[FlashWrite, ...]:
    """The stores the device makes while booting from ``image`` (for second cuts).

    The target first boots ``image`` untraced. If the boot wrote nothing, that
    is the answer. Otherwise flash is put back to ``image`` while the booted
    firmware idles, the watch starts (so its mirror is exactly ``image``) and
    the machine is *reset*: ``boot_flash_state`` cannot run under a watch (it
    fills flash with a stub on the core, which would trap). A reset keeps RAM,
    unlike a power-on; firmware whose boot-time writes depend on RAM that
    survives a reset would be traced differently.
    """
    target = device.target
    flash = target.description.flash
    boot_state(device, image, wait_booted)
    after = target.read_flash()
    if after == image:
        return ()
    for start, end in _diff_runs(image, after):
        target.write_memory(flash.start + start, image[start:end])
    device.console.discard_pending()
    with target.watch_flash_writes(watched_regions(target.description)) as watch:
        target.reset()
        wait_booted(device)
    writes = tuple(watch.writes)
    check_consistent(image, flash.start, writes)
    return writes


def _diff_runs(a: bytes, b: bytes, chunk: int = 256) -> list[tuple[int, int]]:
    """Half-open byte ranges (chunk-aligned, merged) where ``a`` and ``b`` differ."""
    runs: list[tuple[int, int]] = []
    for off in range(0, len(a), chunk):
        if a[off : off + chunk] != b[off : off + chunk]:
            end = min(off + chunk, len(a))
            if runs and runs[-1][1] == off:
                runs[-1] = (runs[-1][0], end)
            else:
                runs.append((off, end))
    return runs
