"""Assertions on what a device booted, with the boot history in every failure.

They read the bootloader's BOOT lines from a console's transcript (or take a
list of parsed lines), so they work the same on QEMU, Renode and real boards.
"""

from __future__ import annotations

from typing import Iterable, Union

from .bootstate.bootline import BootLine, find_boot_lines
from .console import Console

Source = Union[Console, "BootHistory", Iterable[BootLine]]


class BootHistory:
    """The boots seen so far, oldest first."""

    def __init__(self, boots: Iterable[BootLine]) -> None:
        self.boots = list(boots)

    @classmethod
    def of(cls, source: Source) -> "BootHistory":
        if isinstance(source, BootHistory):
            return source
        if isinstance(source, Console):
            return cls(find_boot_lines(source.transcript.decode("utf-8", errors="replace")))
        return cls(source)

    @property
    def latest(self) -> BootLine | None:
        return self.boots[-1] if self.boots else None

    def table(self) -> str:
        if not self.boots:
            return "  (no BOOT line was seen on the console)"
        rows = [("#", "slot", "version", "state", "tries", "floor", "seq", "reset", "rollback")]
        for i, b in enumerate(self.boots, 1):
            rows.append((str(i), b.slot or "-", b.version or "-", b.state, str(b.tries), str(b.floor),
                         str(b.seq), b.reset, b.rollback))
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        return "\n".join("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)

    def __len__(self) -> int:
        return len(self.boots)


def _fail(message: str, history: BootHistory) -> None:
    raise AssertionError(f"{message}\nboot history:\n{history.table()}")


def assert_running(source: Source, *, version: str | None = None, slot: str | None = None,
                   state: str | None = None) -> BootLine:
    """The latest boot runs ``version`` from ``slot`` (in ``state``, if given)."""
    history = BootHistory.of(source)
    latest = history.latest
    if latest is None:
        _fail("expected a running image, but no boot was seen", history)
    wanted = {"version": version, "slot": slot, "state": state}
    wrong = {k: (v, getattr(latest, k)) for k, v in wanted.items() if v is not None and getattr(latest, k) != v}
    if wrong:
        what = ", ".join(f"{k}={want!r} (is {got!r})" for k, (want, got) in wrong.items())
        _fail(f"expected the device to run {what}", history)
    return latest


def assert_rolled_back(source: Source, *, to: str, reason: str | None = None) -> BootLine:
    """The device fell back to version ``to``, for ``reason`` if given (e.g. TRIES_EXHAUSTED)."""
    history = BootHistory.of(source)
    latest = history.latest
    if latest is None:
        _fail(f"expected a rollback to {to}, but no boot was seen", history)
    if latest.version != to:
        _fail(f"expected a rollback to version {to!r}, but the device runs {latest.version!r}", history)
    if latest.rollback in ("NONE", "", None):
        _fail(f"the device runs {to!r} but reports no rollback (rollback=NONE)", history)
    if reason is not None and latest.rollback != reason:
        _fail(f"expected rollback reason {reason!r}, the device reports {latest.rollback!r}", history)
    if not any(b.version != to for b in history.boots[:-1]):
        _fail(f"the device runs {to!r}, but no other image was booted before it: nothing was rolled back", history)
    return latest


def assert_boot_attempts(source: Source, n: int, *, version: str | None = None) -> None:
    """The trial image (``version``, default: the last one on trial) was booted exactly ``n`` times."""
    history = BootHistory.of(source)
    trials = [b for b in history.boots if b.state == "PENDING"]
    if version is None:
        if not trials:
            _fail(f"expected {n} trial boot(s), but no image was booted on trial", history)
        version = trials[-1].version
    attempts = [b for b in trials if b.version == version]
    if len(attempts) != n:
        _fail(f"expected {n} boot attempt(s) of {version!r}, saw {len(attempts)}", history)


def assert_journal_matches(info, journal) -> None:
    """The device's own report (its ``info`` line) agrees with the journal decoded from memory.

    ``info`` is an :class:`~pytest_iot_hil.bootstate.bootline.InfoLine` (from
    ``ota.info()``), ``journal`` a :class:`~pytest_iot_hil.bootstate.journal.Journal`
    read from the target: two independent views of one state must agree.
    """
    latest = journal.latest
    problems = []
    if latest is None:
        if info.seq != 0:
            problems.append(f"the device reports seq={info.seq}, the journal holds no valid record")
    else:
        for key in ("seq", "floor"):
            if getattr(info, key) != getattr(latest, key):
                problems.append(f"{key}: device says {getattr(info, key)}, journal says {getattr(latest, key)}")
        for slot, rec in latest.slots.items():
            reported = info.slots[slot]
            seen = (reported.state, reported.version, reported.sec_cnt, reported.tries)
            stored = (rec.state, rec.version, rec.sec_cnt, rec.tries)
            if seen != stored:
                problems.append(f"slot {slot}: device says {seen}, journal says {stored}")
        if info.slot is not None and info.state != latest.slots[info.slot].state:
            problems.append(f"running slot {info.slot}: device says {info.state}, journal says {latest.slots[info.slot].state}")
    if problems:
        records = "\n".join(
            f"  seq={r.seq} valid={r.valid} reason={r.reason} floor={r.floor} "
            + " ".join(f"{k}={v.state},{v.version},tries={v.tries}" for k, v in r.slots.items())
            for r in journal.records
        ) or "  (none)"
        raise AssertionError("console and journal disagree:\n  " + "\n  ".join(problems) + f"\njournal records:\n{records}")
