"""From a trace of stores to flash *operations* and the flash state of every cut.

Stores are grouped into the operations the flash performs (firmware's own
flash layer, e.g. ``firmware_fixtures/src/hw/flash_hw.c``):

* an **erase**: ``sector_size / word_size`` consecutive stores into one
  sector, each writing the erased value (most are no-ops on erased flash);
* a **program** of one unit: the word stores that fill one ``unit_size``
  block (two 32-bit stores for an 8-byte unit);
* anything else is an operation of its own.

The state of a cut *before op k* is the initial flash plus ops[:k]; torn
states (``torn.py``) lie inside op k. States are computed, never re-run, and
deduplicated by an exact-in-practice fingerprint: a 128-bit XOR of one hash
per changed word (Zobrist hashing), updated per store instead of hashing a
whole image per state. Duplicates keep their identity in ``aliases``.
"""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Iterable, Sequence

from ..protocols.flash import FlashWrite
from . import torn
from .ops import END, ERASE, NOOP, PROGRAM, FlashGeometry, Op, Patch

@dataclasses.dataclass(frozen=True)
class CutState:
    """One distinct flash state to boot: a cut before op ``op`` (``variant``: inside it)."""

    id: str
    op: int
    kind: str  # kind of the interrupted op, or "end"
    region: str  # region of the interrupted op ("" for the end)
    variant: str  # "", "torn", "torn-bits" or "torn-noise"
    stores_done: int  # stores of the traced run fully done before the cut
    fingerprint: int
    aliases: tuple[str, ...] = ()
    depth: int = 1
    parent: str | None = None

    @property
    def torn(self) -> bool:
        return bool(self.variant)


# -- grouping stores into operations --------------------------------------------


def _sector_of(w: FlashWrite, geometry: FlashGeometry) -> int:
    return w.address - w.address % geometry.sector_size


def _writes_erased(w: FlashWrite, geometry: FlashGeometry) -> bool:
    return w.size == 0 or w.new == bytes([geometry.erased_byte]) * w.size


def _patch(w: FlashWrite) -> Patch:
    return Patch(w.address, bytes(w.old), bytes(w.new))


def group_ops(writes: Sequence[FlashWrite], geometry: FlashGeometry = FlashGeometry()) -> list[Op]:
    """Group the trace's stores into flash operations (see the module docstring)."""
    n = len(writes)
    # run[i]: how many stores from i on write the erased value into i's sector.
    run = [0] * (n + 1)
    for i in range(n - 1, -1, -1):
        w = writes[i]
        if _writes_erased(w, geometry):
            same = i + 1 < n and _sector_of(writes[i + 1], geometry) == _sector_of(w, geometry) \
                and writes[i + 1].region == w.region
            run[i] = 1 + (run[i + 1] if same else 0)
    ops: list[Op] = []

    def emit(kind: str, first: int, end: int) -> None:
        chunk = writes[first:end]
        patches = tuple(_patch(w) for w in chunk if w.size)
        if kind == PROGRAM and not patches:
            kind = NOOP
        ops.append(Op(len(ops), kind, chunk[0].region, _sector_of(chunk[0], geometry), first, end, patches))

    wps = geometry.words_per_sector
    i = 0
    while i < n:
        if run[i] >= wps:
            start = _erase_start(writes, i, run[i], geometry)
            # Stores of the run before the erase are programs of erased values.
            while i < start:
                i = _program_unit(writes, i, start, geometry, emit, None)
            emit(ERASE, start, start + wps)
            i = start + wps
        else:
            i = _program_unit(writes, i, n, geometry, emit, run)
    return ops


def _erase_start(writes: Sequence[FlashWrite], i: int, length: int, geometry: FlashGeometry) -> int:
    """Where the erase inside a run of erased-value stores starts.

    An erase stores every word of its sector in address order, so the first
    store that changed something sits (its offset in the sector / word size)
    stores after the erase's start. A run with no change is all no-ops: where
    the erase is drawn then changes no state.
    """
    wps = geometry.words_per_sector
    for j in range(i, i + length):
        if writes[j].size:
            offset = (writes[j].address - _sector_of(writes[j], geometry)) // geometry.word_size
            return min(max(i, j - offset), i + length - wps)
    return i


def _program_unit(writes: Sequence[FlashWrite], i: int, stop: int, geometry: FlashGeometry, emit,
                  run: list[int] | None) -> int:
    """Emit the program op starting at store ``i`` (never past ``stop`` or into an erase); return the next index.

    Word stores join one op while they fill the same ``unit_size`` block in
    address order. A no-op store (it wrote what was there, so its address is
    unknown) fills the next position of the block.
    """
    spu = geometry.stores_per_unit
    ws = geometry.word_size
    first = writes[i]
    sector = _sector_of(first, geometry)
    if first.size and (first.size > ws or first.address % ws):
        emit(PROGRAM, i, i + 1)  # a wide or odd store: an operation of its own
        return i + 1
    if first.size:
        pos = (first.address % geometry.unit_size) // ws
        expected: int | None = first.address + ws
    else:
        pos, expected = 0, None
    j = i + 1
    while pos + (j - i) < spu and j < stop:
        w = writes[j]
        if _sector_of(w, geometry) != sector or w.region != first.region:
            break
        if run is not None and run[j] >= geometry.words_per_sector:
            break  # an erase starts here
        if w.size:
            if w.size > ws:
                break
            if expected is None:
                if (w.address % geometry.unit_size) // ws != pos + (j - i):
                    break
            elif w.address != expected or w.address // geometry.unit_size != (expected - ws) // geometry.unit_size:
                break
            expected = w.address + ws
        elif expected is not None:
            expected += ws
        j += 1
    emit(PROGRAM, i, j)
    return j


# -- fingerprints ------------------------------------------------------------------


def _word_hash(address: int, word: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(address.to_bytes(8, "little") + word, digest_size=16).digest(), "little")


class _Image:
    """A flash image being advanced op by op, with its fingerprint relative to the start."""

    def __init__(self, initial: bytes, base: int, word: int) -> None:
        self.data = bytearray(initial)
        self.base = base
        self.word = word
        self.fingerprint = 0

    def _words(self, address: int, size: int) -> range:
        first = address - (address - self.base) % self.word
        return range(first, address + size, self.word)

    def delta(self, patches: Iterable[Patch]) -> int:
        """Fingerprint change if ``patches`` were applied in order (the image is not changed)."""
        overlay: dict[int, bytes] = {}
        touched: list[int] = []
        for p in patches:
            for addr in self._words(p.address, len(p.new)):
                if addr not in overlay:
                    off = addr - self.base
                    overlay[addr] = bytes(self.data[off : off + self.word])
                    touched.append(addr)
                word = bytearray(overlay[addr])
                lo = max(addr, p.address)
                hi = min(addr + self.word, p.address + len(p.new))
                word[lo - addr : hi - addr] = p.new[lo - p.address : hi - p.address]
                overlay[addr] = bytes(word)
        result = 0
        for addr in touched:
            off = addr - self.base
            before = bytes(self.data[off : off + self.word])
            if overlay[addr] != before:
                result ^= _word_hash(addr, before) ^ _word_hash(addr, overlay[addr])
        return result

    def apply(self, patches: Iterable[Patch], *, track: bool = True) -> None:
        patches = list(patches)
        if track:
            self.fingerprint ^= self.delta(patches)
        for p in patches:
            off = p.address - self.base
            self.data[off : off + len(p.new)] = p.new


# -- the state space --------------------------------------------------------------


def apply_patches(image: bytes | bytearray, base: int, patches: Iterable[Patch]) -> bytes:
    out = bytearray(image)
    for p in patches:
        out[p.address - base : p.address - base + len(p.new)] = p.new
    return bytes(out)


class StateSpace:
    """Every distinct state of one traced run (the update, or a recovery boot).

    ``prefix`` starts every id (``cut``, or ``<first cut id>-then`` for second
    cuts); ``seed`` makes the torn states reproducible.
    """

    def __init__(
        self,
        initial: bytes,
        base: int,
        ops: Sequence[Op],
        *,
        total_stores: int,
        geometry: FlashGeometry = FlashGeometry(),
        seed: int = 1,
        prefix: str = "cut",
        depth: int = 1,
        parent: str | None = None,
        include_start: bool = True,
    ) -> None:
        self.initial = bytes(initial)
        self.base = base
        self.ops = list(ops)
        self.geometry = geometry
        self.seed = seed
        self.prefix = prefix
        self.depth = depth
        self.parent = parent
        self.total_stores = total_stores
        self.width = max(4, len(str(len(self.ops))))
        self.states: list[CutState] = []
        self.by_id: dict[str, CutState] = {}
        #: id of the state a cut before op k gives (after deduplication), k = 0..len(ops);
        #: "" where that is the start state and ``include_start`` is False.
        self.boundary_ids: list[str] = []
        #: ids of the torn states inside op k, after deduplication.
        self.torn_ids: list[list[str]] = []
        self._cursor: tuple[int, _Image] | None = None
        self._build(include_start)

    @classmethod
    def from_writes(cls, initial: bytes, base: int, writes: Sequence[FlashWrite], **kwargs) -> "StateSpace":
        geometry = kwargs.get("geometry", FlashGeometry())
        return cls(initial, base, group_ops(writes, geometry), total_stores=len(writes), **kwargs)

    def raw_id(self, k: int, variant: str = "") -> str:
        if k >= len(self.ops):
            return f"{self.prefix}-{k:0{self.width}d}-{END}"
        op = self.ops[k]
        text = f"{self.prefix}-{k:0{self.width}d}-{op.kind}-{op.region}"
        return f"{text}-{variant}" if variant else text

    def _build(self, include_start: bool) -> None:
        image = _Image(self.initial, self.base, self.geometry.word_size)
        seen: dict[int, int] = {}  # fingerprint -> position in self.states
        aliases: list[list[str]] = []

        def add(k: int, variant: str, fingerprint: int) -> str:
            raw = self.raw_id(k, variant)
            if not include_start and fingerprint == 0:
                return ""  # the state the run started from: not a cut of this run
            if fingerprint in seen:
                pos = seen[fingerprint]
                aliases[pos].append(raw)
                return self.states[pos].id
            op = self.ops[k] if k < len(self.ops) else None
            stores_done = op.first_store if op else self.total_stores
            state = CutState(raw, k, op.kind if op else END, op.region if op else "", variant, stores_done,
                             fingerprint, depth=self.depth, parent=self.parent)
            seen[fingerprint] = len(self.states)
            self.states.append(state)
            aliases.append([])
            return raw

        for k in range(len(self.ops) + 1):
            self.boundary_ids.append(add(k, "", image.fingerprint))
            if k == len(self.ops):
                break
            op = self.ops[k]
            inside = []
            for variant, patches in torn.variants(op, self.geometry, self._rng_key(k)):
                got = add(k, variant, image.fingerprint ^ image.delta(patches))
                if got:
                    inside.append(got)
            self.torn_ids.append(inside)
            image.apply(op.patches)
        for pos, state in enumerate(self.states):
            if aliases[pos]:
                self.states[pos] = dataclasses.replace(state, aliases=tuple(aliases[pos]))
        self.by_id = {s.id: s for s in self.states}

    def _rng_key(self, k: int) -> str:
        return f"{self.seed}:{self.prefix}:{k}"

    def image(self, state: CutState) -> bytes:
        """The flash image of ``state`` (computed from the ops; consecutive calls are incremental)."""
        if self._cursor is None or self._cursor[0] > state.op:
            self._cursor = (0, _Image(self.initial, self.base, self.geometry.word_size))
        k, image = self._cursor
        for op in self.ops[k : state.op]:
            image.apply(op.patches, track=False)
        self._cursor = (state.op, image)
        if not state.variant:
            return bytes(image.data)
        patches = dict(torn.variants(self.ops[state.op], self.geometry, self._rng_key(state.op)))[state.variant]
        return apply_patches(image.data, self.base, patches)

    def final_image(self) -> bytes:
        return apply_patches(self.initial, self.base, (p for op in self.ops for p in op.patches))

    def op_of_store(self, store: int) -> int:
        """Index of the op that contains store number ``store`` (len(ops) past the end)."""
        lo, hi = 0, len(self.ops)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.ops[mid].end_store <= store:
                lo = mid + 1
            else:
                hi = mid
        return lo
