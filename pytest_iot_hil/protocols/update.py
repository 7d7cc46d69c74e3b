"""The update client protocol: what every way of updating a target offers.

A team with its own update protocol subclasses :class:`UpdateClient` and
returns it from the ``pytest_hil_make_update_client`` hook (usually in its
device profile); the ``ota`` fixture, the campaign and the power-cut
triggers then work unchanged. How the device reports its boots is not the
update client's business: that is :mod:`.boot`.
"""

from __future__ import annotations

import dataclasses
import time
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Callable

from ..errors import HilError


class UpdateError(HilError):
    """The target refused or failed an update step.

    ``code`` is the device's error code (e.g. ``E_ROLLBACK``), ``offset`` the
    byte offset of the failing chunk when there is one.
    """

    def __init__(self, message: str, *, code: str | None = None, offset: int | None = None, step: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.offset = offset
        self.step = step


@dataclasses.dataclass(frozen=True)
class Progress:
    sent: int
    total: int
    elapsed: float

    @property
    def rate(self) -> float:
        return self.sent / self.elapsed if self.elapsed > 0 else 0.0


@dataclasses.dataclass(frozen=True)
class TransferResult:
    size: int
    #: Offset the transfer started from (> 0 when it resumed).
    resumed_from: int
    seconds: float
    retries: int
    slot: str | None = None


ProgressCallback = Callable[[Progress], None]


def image_bytes(image: bytes | str | Path) -> bytes:
    if isinstance(image, (bytes, bytearray, memoryview)):
        return bytes(image)
    path = Path(image)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UpdateError(f"cannot read update image {path}: {exc.strerror}") from None


class UpdateClient(ABC):
    """Sends images to a target and drives its update state machine."""

    def __init__(self) -> None:
        self._progress_callbacks: list[ProgressCallback] = []

    def on_progress(self, callback: ProgressCallback) -> None:
        """Call ``callback(Progress)`` after every chunk (power-cut triggers use it)."""
        self._progress_callbacks.append(callback)

    def remove_progress_callback(self, callback: ProgressCallback) -> None:
        if callback in self._progress_callbacks:
            self._progress_callbacks.remove(callback)

    def _report(self, sent: int, total: int, started: float) -> None:
        progress = Progress(sent, total, time.monotonic() - started)
        for callback in list(self._progress_callbacks):
            callback(progress)

    # -- steps a protocol implements --------------------------------------
    @abstractmethod
    def transfer(self, image: bytes | str | Path, *, resume: bool = True) -> TransferResult:
        """Write ``image`` into the inactive slot (resuming a partial transfer)."""

    @abstractmethod
    def finish(self) -> dict[str, str]:
        """Ask the device to validate the transferred image; returns what it reports."""

    @abstractmethod
    def activate(self, *, permanent: bool = False) -> dict[str, str]:
        """Commit: boot the new image next (on trial unless ``permanent``)."""

    @abstractmethod
    def confirm(self) -> str:
        """Confirm the running image (it becomes the fallback)."""

    @abstractmethod
    def mark_bad(self) -> None:
        """Declare the running image bad; the device rolls back."""

    @abstractmethod
    def reboot(self) -> None:
        """Ask the device to reboot."""

    def close(self) -> None:
        """Release what the client holds (an event loop, a link); the fixtures call it at teardown."""

    # -- the whole procedure -------------------------------------------------
    def install(self, image: bytes | str | Path, *, permanent: bool = False, reboot: bool = True) -> dict[str, str]:
        """Transfer, validate and activate ``image``; reboot into it by default."""
        self.transfer(image)
        facts = self.finish()
        facts.update(self.activate(permanent=permanent))
        if reboot:
            self.reboot()
        return facts
