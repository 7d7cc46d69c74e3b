"""The ``power`` fixture's object: switch, cycle, and cut at a trigger."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable

import pexpect

from ..errors import ConsoleError, HilError, TargetError
from ..protocols.power import PowerSwitch
from ..protocols.target import Target
from .triggers import Trigger


class PowerCutInterrupt(HilError):
    """Raised in the test's own thread to abort what it was doing at a cut.

    ``power.cut_at()``'s ``with`` block swallows it.
    """


class PowerCutNotTriggered(HilError):
    """The ``with power.cut_at(...)`` block ended without the trigger firing."""


class Cut:
    """One armed power cut; use as a context manager (see :meth:`Power.cut_at`)."""

    def __init__(self, power: "Power", trigger: Trigger, *, required: bool) -> None:
        self.power = power
        self.trigger = trigger
        self.required = required
        self.happened = False
        self.at: float | None = None
        #: Seconds from the trigger firing to the switch reporting power off (None: the backend cut by itself).
        self.delay_s: float | None = None
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._started = 0.0

    # -- what triggers use ------------------------------------------------------
    @property
    def target(self) -> Target:
        return self.power.target

    def console(self):
        return self.power._console()

    def update_client(self):
        return self.power._update_client()

    def _cut(self) -> bool:
        with self._lock:
            if self.happened:
                return False
            self.happened = True
            fired = time.monotonic()
            self.at = fired - self._started
        self.power.off()
        self.delay_s = time.monotonic() - fired
        return True

    def fire(self) -> None:
        """Cut now, from the test's thread: the current operation is aborted."""
        if self._cut():
            raise PowerCutInterrupt(f"power cut at {self.trigger.description}")

    def fire_async(self) -> None:
        """Cut now, from another thread (a timer): the test sees the link drop."""
        try:
            self._cut()
        except BaseException as exc:  # reported when the block ends
            self.error = exc

    def fired_by_target(self) -> None:
        """The backend cuts by itself (flash-write trap): just record it."""
        with self._lock:
            self.happened = True
            self.at = time.monotonic() - self._started

    # -- context manager -------------------------------------------------------
    def __enter__(self) -> "Cut":
        self._started = time.monotonic()
        self.trigger.arm(self)
        return self

    def __exit__(self, exc_type, exc, tb) -> bool:
        self.trigger.disarm()
        if self.error is not None:
            raise TargetError(f"power cut at {self.trigger.description} failed: {self.error}") from self.error
        if exc_type is not None:
            if issubclass(exc_type, PowerCutInterrupt):
                return True
            # What the interrupted code saw after power went away.
            if self.happened and issubclass(exc_type, (ConsoleError, TargetError, HilError, pexpect.EOF, pexpect.TIMEOUT)):
                return True
            return False
        if not self.happened and self.required:
            raise PowerCutNotTriggered(
                f"the power cut at {self.trigger.description} never happened: the block finished first "
                "(pass required=False to allow that)"
            )
        return False

    def __repr__(self) -> str:
        state = f"at {self.at:.3f} s" if self.happened else "not yet"
        return f"<Cut {self.trigger.description}: {state}>"


class Power:
    """Power control of one target (the ``power`` fixture)."""

    def __init__(self, switch: PowerSwitch, target: Target, *, console: Callable[[], Any] | None = None,
                 update_client: Callable[[], Any] | None = None) -> None:
        self.switch = switch
        self.target = target
        #: Every cut armed through :meth:`cut_at`, in order.
        self.cuts: list[Cut] = []
        self._console_getter = console
        self._client_getter = update_client

    def off(self) -> None:
        self.switch.off()

    def on(self) -> None:
        self.switch.on()

    def cycle(self, off_s: float = 0.0) -> None:
        self.switch.cycle(off_s)

    def cut_at(self, trigger: Trigger, *, required: bool = True) -> Cut:
        """Arm a cut: ``with power.cut_at(trigger): ...`` runs the block until power goes.

        What the block was doing when power went (an update, an ``expect``) is
        aborted quietly; after the block, ``power.on()`` boots from the flash as
        the cut left it.
        """
        cut = Cut(self, trigger, required=required)
        self.cuts.append(cut)
        return cut

    def _console(self):
        if self._console_getter is None:
            raise HilError("this trigger needs the target's console")
        return self._console_getter()

    def _update_client(self):
        if self._client_getter is None:
            raise HilError("this trigger needs the update client (the `ota` fixture)")
        return self._client_getter()
