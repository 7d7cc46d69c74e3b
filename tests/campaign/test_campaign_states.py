"""Flash operations, cut states, torn states and deduplication on synthetic traces (no emulator)."""

from __future__ import annotations

import hashlib

import pytest
from campaign_flashsim import SimFlash, replay, sample_update

from pytest_iot_hil.campaign.ops import ERASE, NOOP, PROGRAM, FlashGeometry
from pytest_iot_hil.campaign.states import StateSpace, group_ops
from pytest_iot_hil.campaign.torn import TORN, TORN_BITS, TORN_NOISE, variants


def kinds(ops):
    return [(op.kind, op.region, op.end_store - op.first_store) for op in ops]


def test_program_units_and_erases_are_grouped():
    initial, writes, _ = sample_update()
    ops = group_ops(writes)
    assert kinds(ops) == [
        (PROGRAM, "journal", 2), (PROGRAM, "journal", 2),
        (ERASE, "slot_b", 1024), (ERASE, "slot_b", 1024),
        (PROGRAM, "slot_b", 2), (NOOP, "slot_b", 2), (PROGRAM, "slot_b", 2),
        (PROGRAM, "slot_b", 2), (PROGRAM, "slot_b", 2),
        (PROGRAM, "journal", 2), (PROGRAM, "journal", 2),
    ]
    # Stores are covered exactly once, in order.
    assert [op.first_store for op in ops[1:]] == [op.end_store for op in ops[:-1]]
    assert ops[-1].end_store == len(writes)
    # The dirty erase changed the four words that held data; the clean one nothing.
    assert [p.address for p in ops[2].patches] == [0x5000, 0x5004, 0x5008, 0x500C]
    assert ops[3].patches == ()


def test_a_unit_with_an_erased_half_is_one_op():
    sim = SimFlash()
    sim.program(0x1000, b"\xff\xff\xff\xffABCD" + b"WXYZ\xff\xff\xff\xff")
    ops = group_ops(sim.writes)
    assert kinds(ops) == [(PROGRAM, "journal", 2), (PROGRAM, "journal", 2)]
    assert [p.address for p in ops[0].patches] == [0x1004]
    assert [p.address for p in ops[1].patches] == [0x1008]


def test_erased_value_stores_before_an_erase_stay_programs():
    sim = SimFlash()
    sim.program(0x5000, b"\x55" * 8)
    initial = sim.image
    sim.writes.clear()
    # Padding of erased values programmed into the sector, then the sector erased.
    sim.program(0x5010, b"\xff" * 16)
    sim.erase(0x5000)
    ops = group_ops(sim.writes)
    assert [op.kind for op in ops] == [NOOP, NOOP, ERASE]
    assert ops[2].first_store == 4 and ops[2].end_store == 4 + 1024
    space = StateSpace.from_writes(initial, 0, sim.writes)
    assert space.final_image() == sim.image


def test_odd_stores_are_ops_of_their_own():
    sim = SimFlash()
    sim.store(0x1004, b"\x01\x02\x03\x04")  # a lone second half
    sim.program(0x1010, b"\x05" * 8)
    ops = group_ops(sim.writes)
    assert kinds(ops) == [(PROGRAM, "journal", 1), (PROGRAM, "journal", 2)]


def test_units_never_span_regions_or_sectors():
    sim = SimFlash()
    sim.store(0x2FF8, b"\x01" * 4)
    sim.store(0x2FFC, b"\x02" * 4)
    sim.store(0x3000, b"\x03" * 4)
    sim.store(0x3004, b"\x04" * 4)
    assert kinds(group_ops(sim.writes)) == [(PROGRAM, "journal", 2), (PROGRAM, "slot_a", 2)]


def test_state_before_op_k_is_initial_plus_first_k_ops():
    initial, writes, sim = sample_update()
    space = StateSpace.from_writes(initial, 0, writes)
    for k in range(len(space.ops) + 1):
        cut_id = space.boundary_ids[k]
        state = space.by_id[cut_id]
        stores = space.ops[k].first_store if k < len(space.ops) else len(writes)
        assert space.image(state) == replay(initial, writes, stores), cut_id
    assert space.image(space.by_id[space.boundary_ids[-1]]) == sim.image
    # Going backwards works too (the image cursor restarts).
    first = space.states[0]
    assert space.image(first) == initial


def test_ids_name_op_kind_region_and_variant():
    initial, writes, _ = sample_update()
    space = StateSpace.from_writes(initial, 0, writes)
    ids = [s.id for s in space.states]
    assert ids[0] == "cut-0000-program-journal"
    assert "cut-0000-program-journal-torn" in ids
    assert "cut-0000-program-journal-torn-bits" in ids
    assert "cut-0002-erase-slot_b-torn" in ids and "cut-0002-erase-slot_b-torn-noise" in ids
    assert ids[-1] == f"cut-{len(space.ops):04d}-end"
    assert len(set(ids)) == len(ids)


def test_identical_states_are_booted_once_and_keep_their_identity():
    initial, writes, _ = sample_update()
    space = StateSpace.from_writes(initial, 0, writes)
    images = {}
    for state in space.states:
        digest = hashlib.sha256(space.image(state)).hexdigest()
        assert digest not in images, f"{state.id} duplicates {images.get(digest)}"
        images[digest] = state.id
    # The clean erase (op 3) and the no-op unit (op 5) change nothing: their
    # cuts are the same states as the cuts after the ops before them.
    assert space.boundary_ids[4] == space.boundary_ids[3]
    assert space.boundary_ids[6] == space.boundary_ids[5]
    aliased = space.by_id[space.boundary_ids[3]]
    assert "cut-0004-program-slot_b" in aliased.aliases
    # No torn states for ops that change nothing.
    assert space.torn_ids[3] == [] and space.torn_ids[5] == []


def test_every_store_boundary_outside_erases_is_a_state():
    # Inside a program unit the only intermediate state is "first word done"
    # (the torn state); inside an erase the space holds one prefix, not all 1023.
    initial, writes, _ = sample_update()
    space = StateSpace.from_writes(initial, 0, writes)
    inside_erase = {n for op in space.ops if op.kind == ERASE for n in range(op.first_store + 1, op.end_store)}
    reachable = {hashlib.sha256(space.image(s)).digest() for s in space.states}
    for count in range(len(writes) + 1):
        if count not in inside_erase:
            assert hashlib.sha256(replay(initial, writes, count)).digest() in reachable, count


def _bits(data: bytes) -> int:
    return int.from_bytes(data, "little")


def test_torn_program_first_word_done_and_bit_mix():
    sim = SimFlash()
    sim.program(0x1000, b"\x0f\x0f\x0f\x0f\xf0\xf0\xf0\xf0")
    op = group_ops(sim.writes)[0]
    torn = dict(variants(op, FlashGeometry(), "k"))
    assert [p.address for p in torn[TORN]] == [0x1000]  # first word written, second still erased
    mixed = torn[TORN_BITS]
    for before, after in zip(op.patches, mixed):
        old, new, got = _bits(before.old), _bits(before.new), _bits(after.new)
        # Every bit is either the old or the new value, and programming only clears bits.
        assert (got ^ old) & ~(old ^ new) == 0
        assert got & ~old == 0
    total = b"".join(p.new for p in mixed)
    assert total not in (b"".join(p.old for p in op.patches), b"".join(p.new for p in op.patches))


def test_torn_erase_prefix_and_noise():
    sim = SimFlash()
    sim.program(0x5000, bytes(range(1, 65)))
    sim.writes.clear()
    sim.erase(0x5000)
    op = group_ops(sim.writes)[0]
    assert op.kind == ERASE and len(op.patches) == 16
    torn = dict(variants(op, FlashGeometry(), "k"))
    prefix = torn[TORN]
    assert 1 <= len(prefix) < 16
    assert [p.address for p in prefix] == [0x5000 + 4 * i for i in range(len(prefix))]  # first part erased
    for p, q in zip(op.patches, torn[TORN_NOISE]):
        old, got = _bits(p.old), _bits(q.new)
        assert got & old == old  # an erase only sets bits


def test_torn_states_are_reproducible_from_the_seed():
    initial, writes, _ = sample_update()
    a = StateSpace.from_writes(initial, 0, writes, seed=7)
    b = StateSpace.from_writes(initial, 0, writes, seed=7)
    c = StateSpace.from_writes(initial, 0, writes, seed=8)
    pick = [s for s in a.states if s.variant == TORN_BITS]
    assert [a.image(s) for s in pick] == [b.image(b.by_id[s.id]) for s in pick]
    assert [a.image(s) for s in pick] != [c.image(c.by_id[s.id]) for s in pick if s.id in c.by_id]


def test_second_cut_space_leaves_out_its_start_state():
    initial, writes, _ = sample_update()
    space = StateSpace.from_writes(initial, 0, writes, prefix="cut-0003-x-then", depth=2, parent="cut-0003-x",
                                   include_start=False)
    assert all(s.id.startswith("cut-0003-x-then-") and s.parent == "cut-0003-x" for s in space.states)
    assert all(space.image(s) != initial for s in space.states)


def test_op_of_store():
    initial, writes, _ = sample_update()
    space = StateSpace.from_writes(initial, 0, writes)
    assert space.op_of_store(0) == 0
    assert space.op_of_store(2) == 1
    assert space.op_of_store(4) == 2 and space.op_of_store(1027) == 2
    assert space.op_of_store(len(writes)) == len(space.ops)


@pytest.mark.parametrize("geometry", [FlashGeometry(unit_size=4), FlashGeometry(unit_size=16)])
def test_other_program_units(geometry):
    sim = SimFlash()
    sim.program(0x1000, bytes(range(1, 33)))
    ops = group_ops(sim.writes, geometry)
    assert [len(op.patches) for op in ops] == [geometry.unit_size // 4] * (32 // geometry.unit_size)
