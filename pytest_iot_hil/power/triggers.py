"""When to cut power. A trigger is armed by ``power.cut_at(trigger)``.

Precision differs by kind, and the docs of each say so:

* :func:`at_flash_write` - exact: power goes off right before the k-th store
  into a flash region (emulators only; the core is halted at that store);
* :func:`after_update_bytes` - exact at chunk granularity: after the update
  client had the chunk holding byte N acknowledged;
* :func:`on_console` / :func:`after` - host timing: a few milliseconds after
  the pattern arrives or the delay expires, as with a relay on a bench.
"""

from __future__ import annotations

import pytest

import re
import threading
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

from ..errors import HilConfigError

if TYPE_CHECKING:
    from .control import Cut

_WINDOW = 8192  # characters of console output a pattern can span


class Trigger(ABC):
    """Something that calls ``cut.fire()`` once."""

    description: str = "trigger"

    @abstractmethod
    def arm(self, cut: "Cut") -> None:
        """Start watching; call ``cut.fire()`` (test thread) or ``cut.fire_async()`` (other threads)."""

    def disarm(self) -> None:
        """Stop watching (always called, fired or not)."""

    def __repr__(self) -> str:
        return self.description


class _ConsoleWatch:
    """Runs ``on_match`` the first time ``pattern`` appears in new console output."""

    def __init__(self, pattern: str, on_match) -> None:
        self.regex = re.compile(pattern)
        self.on_match = on_match
        self.window = ""
        self.console = None
        self.done = False

    def attach(self, console) -> None:
        self.console = console
        console.add_tap(self)

    def detach(self) -> None:
        if self.console is not None:
            self.console.remove_tap(self)

    def __call__(self, data: bytes) -> None:
        if self.done:
            return
        self.window = (self.window + data.decode("utf-8", errors="replace"))[-_WINDOW:]
        if self.regex.search(self.window):
            self.done = True
            self.on_match()


class OnConsole(Trigger):
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        self.description = f"console output matching {pattern!r}"
        self._watch: _ConsoleWatch | None = None

    def arm(self, cut: "Cut") -> None:
        self._watch = _ConsoleWatch(self.pattern, cut.fire)
        self._watch.attach(cut.console())

    def disarm(self) -> None:
        if self._watch is not None:
            self._watch.detach()


class AfterUpdateBytes(Trigger):
    def __init__(self, n: int) -> None:
        if n <= 0:
            raise HilConfigError(f"after_update_bytes({n}): the byte count must be positive")
        self.n = n
        self.description = f"byte {n} of the update sent"
        self._client = None
        self._callback = None

    def arm(self, cut: "Cut") -> None:
        self._client = cut.update_client()

        def on_progress(progress) -> None:
            if progress.sent >= self.n and not cut.happened:
                cut.fire()

        self._callback = on_progress
        self._client.on_progress(on_progress)

    def disarm(self) -> None:
        if self._client is not None:
            self._client.remove_progress_callback(self._callback)


class After(Trigger):
    def __init__(self, seconds: float, event: str | None = None) -> None:
        if seconds < 0:
            raise HilConfigError(f"after({seconds}): the delay must not be negative")
        self.seconds = seconds
        self.event = event
        self.description = f"{seconds:g} s after " + (f"console output matching {event!r}" if event else "arming")
        self._timer: threading.Timer | None = None
        self._watch: _ConsoleWatch | None = None

    def arm(self, cut: "Cut") -> None:
        def start_timer() -> None:
            self._timer = threading.Timer(self.seconds, cut.fire_async)
            self._timer.daemon = True
            self._timer.start()

        if self.event is None:
            start_timer()
        else:
            self._watch = _ConsoleWatch(self.event, start_timer)
            self._watch.attach(cut.console())

    def disarm(self) -> None:
        if self._watch is not None:
            self._watch.detach()
        if self._timer is not None:
            self._timer.cancel()
            self._timer.join(5)


class AtFlashWrite(Trigger):
    def __init__(self, k: int, region: str | None = None) -> None:
        if k < 1:
            raise HilConfigError(f"at_flash_write({k}): writes are counted from 1")
        self.k = k
        self.region = region
        self.description = f"flash write #{k}" + (f" into {region}" if region else "")
        self._watch = None

    def arm(self, cut: "Cut") -> None:
        from ..protocols.flash import FlashWatcher

        target = cut.target
        if not isinstance(target, FlashWatcher):
            # A capability the target lacks (a real board): the test cannot run here, it is not broken.
            pytest.skip(
                f"at_flash_write needs a target that can {FlashWatcher.capability}; target {target.name!r} "
                f"(backend {target.backend!r}) cannot (the emulator backends can): on a board, use on_console, "
                "after_update_bytes or after"
            )
        regions = [target.description.region(self.region)] if self.region else None

        def decide(index: int, region: str, sector: int) -> bool:
            if index == self.k - 1:
                cut.fired_by_target()
                return True
            return False

        self._watch = target.watch_flash_writes(regions, cut_before=decide)
        self._watch.start()

    def disarm(self) -> None:
        if self._watch is not None:
            self._watch.close()


def on_console(pattern: str) -> Trigger:
    """Cut when the console prints something matching the regex ``pattern``."""
    return OnConsole(pattern)


def after_update_bytes(n: int) -> Trigger:
    """Cut once the update client has sent byte ``n`` (1-based) of the image."""
    return AfterUpdateBytes(n)


def after(seconds: float, *, event: str | None = None) -> Trigger:
    """Cut ``seconds`` after arming, or after the console prints ``event`` (a regex)."""
    return After(seconds, event)


def at_flash_write(k: int, region: str | None = None) -> Trigger:
    """Cut right before the ``k``-th store (from 1) into ``region`` (default: all flash)."""
    return AtFlashWrite(k, region)
