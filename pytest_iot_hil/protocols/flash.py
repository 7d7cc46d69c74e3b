"""What an emulator can do with flash that a board on a probe cannot.

* :class:`FlashWrite` - one store into flash (plain data, shared by the
  backends that trap stores and the campaign);
* :class:`FlashWatch` - an active trap on every store into some regions,
  which can also cut power right before the k-th one;
* :class:`FlashWatcher` - a target that can start such a watch;
* :class:`FlashState` - a target whose whole flash can be read and written
  while it is powered off, and that can power on from a given flash image.

Engines (the campaign, the ``at_flash_write`` trigger) test for these with
``isinstance`` and call :func:`require` for a clear message when a target
lacks one.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Callable, Sequence

from ..errors import HilConfigError

if TYPE_CHECKING:  # pragma: no cover
    from .target import MemoryRegion


@dataclasses.dataclass(frozen=True)
class FlashWrite:
    """One store into flash: the bytes at ``address`` before and after it.

    A store of what was already there (erasing erased flash) is recorded with
    empty ``old``/``new``: it changes nothing, but it still is a point where
    power can be cut.
    """

    index: int
    address: int
    old: bytes
    new: bytes
    region: str

    @property
    def size(self) -> int:
        return len(self.new)


#: Called before store ``index`` lands in ``region`` (sector at ``sector``);
#: return True to cut power right there.
CutDecision = Callable[[int, str, int], bool]


class FlashWatch(ABC):
    """An active watch on flash stores; a context manager (``with target.watch_flash_writes(): ...``).

    While it is active every store into its regions is recorded in
    :attr:`writes`, in order. When ``cut_before`` asked for a cut, the target
    is powered off with flash exactly as it was before that store, and
    :attr:`cut_at` names the store.
    """

    def __init__(self) -> None:
        #: The stores seen so far.
        self.writes: list[FlashWrite] = []
        #: Stores trapped so far (including the one a cut stopped).
        self.hits = 0
        #: Index of the store power was cut before, if any.
        self.cut_at: int | None = None
        #: What made the watch stop trapping, if it failed.
        self.error: BaseException | None = None

    @property
    @abstractmethod
    def active(self) -> bool:
        """Whether stores are still being trapped (False after a cut, a power-off or :meth:`close`)."""

    @abstractmethod
    def start(self) -> None:
        """Begin trapping (``__enter__`` calls it)."""

    @abstractmethod
    def close(self) -> None:
        """Stop trapping and tidy up; raises if the watch failed while it ran. Idempotent."""

    def stop_watching(self) -> None:
        """The target lost power: stop trapping now (:meth:`close` still tidies up)."""

    def __enter__(self) -> "FlashWatch":
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class FlashWatcher(ABC):
    """A target that can trap every store into its flash (emulators)."""

    #: Named in the message of a target that lacks this capability.
    capability = "watch flash writes (FlashWatcher)"

    @abstractmethod
    def watch_flash_writes(self, regions: "Sequence[MemoryRegion] | None" = None, *,
                           cut_before: CutDecision | None = None) -> FlashWatch:
        """A (not yet started) watch on ``regions`` (default: the whole flash)."""


class FlashState(ABC):
    """A target whose whole flash is data: read and written while off, booted from any image."""

    capability = "boot from a given flash state (FlashState)"

    @abstractmethod
    def read_flash(self) -> bytes:
        """The whole flash region (also while powered off: what the last power-off left)."""

    @abstractmethod
    def write_flash(self, image: bytes) -> None:
        """Replace the whole flash while powered off; the next power-on boots from it."""

    @abstractmethod
    def boot_flash_state(self, image: bytes, *, on_stopped: "Callable[[], object] | None" = None) -> None:
        """Power on from exactly ``image`` (RAM cleared, machine reset), powered or not before.

        ``on_stopped`` is called once the firmware that ran before can print
        no more and before the new one starts: what the console holds then is
        all the old boot's (a campaign drops it there, so that a line the old
        firmware printed late is never taken for the new boot's).
        """


#: Which backends of this package provide the capabilities (for error messages).
PROVIDED_BY = ("the emulator backends (qemu, renode; the built-in targets qemu-mps2-an385 and "
               "renode-stm32f4)")


def require(target: object, capability: type, purpose: str) -> None:
    """Raise :class:`HilConfigError` if ``target`` does not implement ``capability``.

    ``purpose`` says what needed it ("a power-cut campaign", "at_flash_write").
    """
    if isinstance(target, capability):
        return
    name = getattr(target, "name", "?")
    backend = getattr(target, "backend", "?")
    raise HilConfigError(
        f"{purpose} needs a target that can {capability.capability}; target {name!r} (backend {backend!r}) "
        f"cannot: use one of {PROVIDED_BY}"
    )
