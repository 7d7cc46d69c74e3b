"""Assertions on what a device booted, with the boot history in every failure.

They read boots through the device profile's
:class:`~pytest_iot_hil.protocols.boot.BootObserver` (from a console's
transcript, or take a list of :class:`~pytest_iot_hil.protocols.boot.BootInfo`),
so they work the same for every firmware, on QEMU, Renode and real boards.
"""

from __future__ import annotations

from typing import Any, Iterable, Union

from .errors import HilError
from .protocols.boot import BootInfo, BootObserver

Source = Union["BootHistory", Iterable[BootInfo], Any]


class BootHistory:
    """The boots seen so far, oldest first."""

    def __init__(self, boots: Iterable[BootInfo]) -> None:
        self.boots = list(boots)

    @classmethod
    def of(cls, source: Source) -> "BootHistory":
        """The boots of a console (through its boot observer), a history, or a list of boots."""
        if isinstance(source, BootHistory):
            return source
        transcript = getattr(source, "transcript", None)
        if isinstance(transcript, (bytes, bytearray)):
            observer = getattr(source, "boot_observer", None)
            if not isinstance(observer, BootObserver):
                raise HilError(
                    f"{source!r} has no boot observer, so its boots cannot be read: the target names no device "
                    "profile (add `device = \"<profile>\"` to its inventory entry) or pass a list of BootInfo"
                )
            return cls(observer.history(bytes(transcript).decode("utf-8", errors="replace")))
        return cls(source)

    @property
    def latest(self) -> BootInfo | None:
        return self.boots[-1] if self.boots else None

    def table(self) -> str:
        if not self.boots:
            return "  (no boot report was seen on the console)"
        columns = type(self.boots[0]).columns
        rows = [("#",) + columns]
        for i, b in enumerate(self.boots, 1):
            rows.append((str(i),) + tuple(_cell(getattr(b, c, "")) for c in columns))
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        return "\n".join("  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)

    def __len__(self) -> int:
        return len(self.boots)


def _cell(value: object) -> str:
    return "-" if value is None or value == "" else str(value)


def _fail(message: str, history: BootHistory) -> None:
    raise AssertionError(f"{message}\nboot history:\n{history.table()}")


def assert_running(source: Source, *, version: str | None = None, slot: str | None = None,
                   state: str | None = None) -> BootInfo:
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


def assert_rolled_back(source: Source, *, to: str, reason: str | None = None) -> BootInfo:
    """The device fell back to version ``to``, for ``reason`` if given (e.g. TRIES_EXHAUSTED)."""
    history = BootHistory.of(source)
    latest = history.latest
    if latest is None:
        _fail(f"expected a rollback to {to}, but no boot was seen", history)
    if latest.version != to:
        _fail(f"expected a rollback to version {to!r}, but the device runs {latest.version!r}", history)
    if not latest.rolled_back:
        _fail(f"the device runs {to!r} but reports no rollback (rollback={latest.rollback or 'NONE'})", history)
    if reason is not None and latest.rollback != reason:
        _fail(f"expected rollback reason {reason!r}, the device reports {latest.rollback!r}", history)
    if not any(b.version != to for b in history.boots[:-1]):
        _fail(f"the device runs {to!r}, but no other image was booted before it: nothing was rolled back", history)
    return latest


def assert_boot_attempts(source: Source, n: int, *, version: str | None = None) -> None:
    """The trial image (``version``, default: the last one on trial) was booted exactly ``n`` times."""
    history = BootHistory.of(source)
    trials = [b for b in history.boots if b.trial]
    if version is None:
        if not trials:
            _fail(f"expected {n} trial boot(s), but no image was booted on trial", history)
        version = trials[-1].version
    attempts = [b for b in trials if b.version == version]
    if len(attempts) != n:
        _fail(f"expected {n} boot attempt(s) of {version!r}, saw {len(attempts)}", history)
