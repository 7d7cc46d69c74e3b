"""The plain types of flash operations, shared by ``states.py`` and ``torn.py``.

A campaign groups traced stores into the operations the flash performs
(:class:`Op`: an erase, a program of one unit, or a store of its own), under
the firmware's flash rules (:class:`FlashGeometry`).
"""

from __future__ import annotations

import dataclasses

PROGRAM, ERASE, NOOP, END = "program", "erase", "noop", "end"


@dataclasses.dataclass(frozen=True)
class FlashGeometry:
    """The flash rules the firmware follows (defaults: 4 KiB sectors, 8-byte program units, erased 0xFF)."""

    sector_size: int = 0x1000
    unit_size: int = 8
    word_size: int = 4
    erased_byte: int = 0xFF

    @property
    def words_per_sector(self) -> int:
        return self.sector_size // self.word_size

    @property
    def stores_per_unit(self) -> int:
        return max(1, self.unit_size // self.word_size)


@dataclasses.dataclass(frozen=True)
class Patch:
    """Bytes one store changed: ``old`` became ``new`` at ``address``."""

    address: int
    old: bytes
    new: bytes


@dataclasses.dataclass(frozen=True)
class Op:
    """One flash operation: stores ``first_store .. end_store - 1`` of the trace."""

    index: int
    kind: str
    region: str
    sector: int
    first_store: int
    end_store: int
    patches: tuple[Patch, ...]
