"""What must hold after a power cut: the oracle's interface.

A campaign boots every cut state and asks an :class:`Oracle` whether the
device behaved. Write one for your firmware by subclassing :class:`Oracle`:

* :meth:`Oracle.wait_booted` returns once the device is up and idle after a
  boot (e.g. its banner is printed); the campaign uses it before tracing and
  for second cuts;
* :meth:`Oracle.check` observes the freshly booted cut state through the
  :class:`~pytest_iot_hil.campaign.trace.Device` and returns the
  :class:`Violation` list (empty: the cut is fine);
* :meth:`Oracle.prepare` may precompute facts about the whole trace once per
  campaign and *return* them; the check of every cut of that campaign finds
  them as :attr:`CutContext.prepared`.

One oracle instance may judge several campaigns (two tests sharing
one oracle instance, one of them with another firmware), and their cuts may run
interleaved in one process (xdist, random order). So keep what ``prepare``
computes out of ``self``: return it. ``self`` holds only configuration.

:class:`Oracle.invariants` names what an oracle checks; the report prints
that table. A device profile ships its oracle (the demo's is
``pytest_iot_hil.devices.demo.DemoOracle``).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Callable, Hashable

if TYPE_CHECKING:  # pragma: no cover
    from .load import LoadedCampaign
    from .states import CutState
    from .trace import Device, Mark


def invariant_order(name: str) -> tuple[int, str]:
    """Sort key of invariant names: I2 before I10; names that are not ``I<n>`` last."""
    return (int(name[1:]) if name[1:].isdigit() else 99, name)


@dataclasses.dataclass(frozen=True)
class Violation:
    """One broken invariant at one cut, with what was seen."""

    invariant: str
    cut: str
    message: str

    def __str__(self) -> str:
        return f"{self.invariant} at {self.cut}: {self.message}"


@dataclasses.dataclass
class CutContext:
    """Everything an oracle may use about the cut it judges."""

    state: "CutState"
    #: The flash image that was booted.
    image: bytes
    campaign: "LoadedCampaign"
    #: Marks of the traced procedure set before the cut (for a second cut: before its first cut).
    marks_before: tuple["Mark", ...]
    #: Re-boots this state and runs the campaign's retry procedure (I10); see :meth:`wants_retry`.
    retry: Callable[["Device"], None] | None = None
    #: Decides whether a retry is worth its cost for a class of outcomes (runner policy).
    retry_policy: Callable[[Hashable], bool] = lambda key: False
    #: Free-form facts for the report ("I8: 2 trial boots", "I10 checked").
    notes: list[str] = dataclasses.field(default_factory=list)

    @property
    def initial(self) -> bytes:
        """Flash before the traced procedure started."""
        return self.campaign.trace.initial

    def marked(self, name: str) -> bool:
        return any(m.name == name for m in self.marks_before)

    @property
    def prepared(self) -> Any:
        """What the oracle's :meth:`Oracle.prepare` returned for this campaign."""
        return self.campaign.prepared

    def wants_retry(self, key: Hashable) -> bool:
        """Whether to re-run the update from this cut (I10), given the class of what was seen."""
        return self.retry is not None and self.retry_policy(key)


class Oracle:
    """Judges one booted cut state. Subclass it for your firmware."""

    #: Seconds a boot may take before it counts as a hang.
    boot_timeout: float = 5.0
    #: The invariants this oracle checks, by the name its violations carry
    #: (``{"I1": "an app runs within T seconds", ...}``): the report prints them.
    invariants: dict[str, str] = {}

    def prepare(self, campaign: "LoadedCampaign") -> Any:
        """Precompute facts about the campaign's trace; return them (``ctx.prepared`` in :meth:`check`).

        Called once per campaign and process, when the campaign is loaded (at
        collection): an exception here fails the campaign's collection with
        its message. Return the facts instead of storing them on ``self``:
        the same oracle instance may serve several campaigns at once.
        """
        return None

    def wait_booted(self, device: "Device") -> None:
        """Return once the device has booted and is idle; raise if it does not within ``boot_timeout``.

        The default waits for the next boot through the device profile's boot
        observer (``device.boot.wait_for_boot``).
        """
        device.boot.wait_for_boot(self.boot_timeout)

    def check(self, device: "Device", ctx: CutContext) -> list[Violation]:
        """Observe the device, just booted from ``ctx.image``, and return what is wrong.

        ``ctx.prepared`` is what :meth:`prepare` returned for this cut's campaign.
        """
        raise NotImplementedError(f"{type(self).__name__} must implement check(device, ctx)")

    def identity(self) -> str:
        """What about this oracle changes the trace (part of the trace cache key)."""
        return type(self).__qualname__
