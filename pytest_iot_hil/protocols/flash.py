"""Flash writes as plain data, shared by the backends that trap them and the campaign."""

from __future__ import annotations

import dataclasses


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
