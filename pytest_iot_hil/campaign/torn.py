"""Torn states: power lost *during* a program or an erase.

A cut between operations is what MCUboot's simulator models; real NOR flash
also leaves half-done operations behind (see the MCUboot issues
mcu-tools/mcuboot#1966 and #2108: an interrupted program can read back with
some bits programmed and others not). For one op:

* program ``torn``      - the first store(s) of the unit done, the rest not
                           (for an 8-byte unit of 32-bit stores: first word written, second erased);
* program ``torn-bits`` - a bit-level mix: each bit the program would change
                           either changed or not;
* erase ``torn``        - the first part of the sector erased, the rest old data;
* erase ``torn-noise``  - each bit the erase would set either set or not.

Every choice is drawn from ``random.Random(key)`` with a key made of the
campaign seed, the trace and the op index, so every worker computes exactly
the same states (string seeds do not depend on ``PYTHONHASHSEED``). A variant
that would equal the state before or after the op is left out.
"""

from __future__ import annotations

import random

from .ops import ERASE, FlashGeometry, Op, Patch

TORN = "torn"
TORN_BITS = "torn-bits"
TORN_NOISE = "torn-noise"


def variants(op: Op, geometry: FlashGeometry, key: str) -> list[tuple[str, tuple[Patch, ...]]]:
    """``(variant name, patches)`` for every torn state inside ``op``."""
    if not op.patches:
        return []
    out: list[tuple[str, tuple[Patch, ...]]] = []
    if len(op.patches) >= 2:
        rng = random.Random(f"{key}:{TORN}")
        # A program unit's stores happen in order; so do an erase's (by address).
        ordered = sorted(op.patches, key=lambda p: p.address) if op.kind == ERASE else list(op.patches)
        done = 1 if op.kind != ERASE and len(ordered) == 2 else rng.randrange(1, len(ordered))
        out.append((TORN, tuple(ordered[:done])))
    mixed = _bit_mix(op.patches, random.Random(f"{key}:mix"))
    if mixed is not None:
        out.append((TORN_NOISE if op.kind == ERASE else TORN_BITS, mixed))
    return out


def _bit_mix(patches: tuple[Patch, ...], rng: random.Random) -> tuple[Patch, ...] | None:
    """Each differing bit taken from ``new`` or ``old`` at random; None when fewer than 2 bits differ."""
    olds = [int.from_bytes(p.old, "little") for p in patches]
    diffs = [o ^ int.from_bytes(p.new, "little") for o, p in zip(olds, patches)]
    if sum(bin(d).count("1") for d in diffs) < 2:
        return None
    masks = [rng.getrandbits(max(1, len(p.new) * 8)) & d for p, d in zip(patches, diffs)]
    if not any(masks):
        i = next(i for i, d in enumerate(diffs) if d)
        masks[i] = diffs[i] & -diffs[i]  # lowest differing bit
    elif masks == diffs:
        i = next(i for i, d in enumerate(diffs) if d)
        masks[i] &= masks[i] - 1  # drop the lowest bit
    return tuple(
        Patch(p.address, p.old, (o ^ m).to_bytes(len(p.new), "little"))
        for p, o, m in zip(patches, olds, masks)
    )
