"""The demo firmware's update images, as built and committed in ``firmware_fixtures/``."""

from __future__ import annotations

from pathlib import Path

from ...errors import FirmwareError
from ...images.mcuboot import peek_image
from ...protocols.update import image_bytes
from .layout import Board, current_board


def demo_image(name: str, slot: str, board: Board | None = None) -> Path:
    """Path of the demo image ``name`` built for ``slot`` of ``board``.

    The board defaults to the run's target's (:func:`~.layout.current_board`):
    the same test takes the mps2 build on ``qemu-mps2-an385`` and the STM32F4
    build on ``renode-stm32f4``.

    ``name`` is a version name (``"v1"``, ``"v2"``, ``"v3-crash"``,
    ``"v4-hang"``, ``"v5-noconfirm"``, ``"v6-revb"``, ``"v7-drain"``,
    ``"downgrade"``) or, for the corrupted
    set, ``"bad/<variant>"`` (see ``firmware_fixtures/build/bad/``).
    """
    slot = slot.upper()
    board = board or current_board()
    if slot not in board.slot_bases:
        raise FirmwareError(f"slot must be 'A' or 'B', not {slot!r}")
    root = board.firmware_dir()
    if name.startswith("bad/"):
        candidates = sorted((root / "bad").glob(f"*{name[4:]}*slot{slot}*"))
        path = candidates[0] if candidates else root / "bad" / f"{name[4:]}-slot{slot}.signed.bin"
    else:
        path = root / f"app-{name}-slot{slot}.signed.bin"
    if not path.is_file():
        known = sorted(p.name for p in root.glob(f"*slot{slot}*.signed.bin"))
        raise FirmwareError(f"no demo image {name!r} for slot {slot} of board {board.name} at {path} "
                            f"(known: {', '.join(known)})")
    return path


class LazyImage:
    """An update image given as bytes or a path, read on first use.

    Marker arguments are evaluated when the test module is imported; reading
    the file there would turn a wrong path into a traceback at import. Read
    later (when the campaign is loaded), a missing file is the one-line
    ``UpdateError`` of :func:`~pytest_iot_hil.protocols.update.image_bytes`.
    """

    def __init__(self, image: bytes | str | Path | None, slot: str) -> None:
        self._source = image
        self._slot = slot
        self._bytes: bytes | None = bytes(image) if isinstance(image, (bytes, bytearray, memoryview)) else None

    @property
    def data(self) -> bytes:
        if self._bytes is None:
            self._bytes = image_bytes(self._source if self._source is not None else demo_image("v2", self._slot))
        return self._bytes

    @property
    def version(self) -> str | None:
        return peek_image(self.data).version
