"""The demo oracle's verdicts (I1-I12) on exact cut states and made-up observations (no emulator)."""

from __future__ import annotations

import pytest
from campaign_demo_trace import JOURNAL, SLOT_A, SLOT_B, build_demo_campaign

from pytest_iot_hil.devices.demo.bootline import parse_boot_line
from pytest_iot_hil.devices.demo.journal import encode_record
from pytest_iot_hil.devices.demo.oracle import DemoObservation
from pytest_iot_hil.campaign.oracle import CutContext
from pytest_iot_hil.images import peek_image


@pytest.fixture(scope="module")
def loaded():
    return build_demo_campaign()


def boot(slot="B", version="2.0.0", state="CONFIRMED", tries=3, floor=2, seq=5, rollback="NONE"):
    if slot is None:
        return parse_boot_line(f"BOOT slot=- version=- state=RECOVERY tries=0 floor={floor} seq={seq} "
                               f"reset=POWER_ON rollback=NO_VALID_IMAGE")
    return parse_boot_line(f"BOOT slot={slot} version={version} state={state} tries={tries} floor={floor} "
                           f"seq={seq} reset=POWER_ON rollback={rollback}")


def judge(loaded, state, *, image=None, journal_after=None, **kw):
    image = loaded.image(state) if image is None else image
    slots = {"A": image[SLOT_A : SLOT_A + 0x5000], "B": image[SLOT_B : SLOT_B + 0x5000]}
    kw.setdefault("banner", (kw["boot"].version, kw["boot"].slot) if kw.get("boot") and kw["boot"].slot else None)
    obs = DemoObservation(seconds=0.02, transcript=kw.pop("transcript", ""), journal_after=journal_after or image[JOURNAL : JOURNAL + 0x2000],
                          slots_after=kw.pop("slots_after", slots), **kw)
    ctx = CutContext(state, image, loaded, loaded.marks_before(state))
    return loaded.oracle.judge(obs, ctx)


def invariants(violations):
    return sorted({v.invariant for v in violations})


def end_state(loaded):
    return loaded.space.by_id[loaded.space.boundary_ids[-1]]


def state_before_store(loaded, store):
    return loaded.space.by_id[loaded.space.boundary_ids[loaded.space.op_of_store(store)]]


def after_activate(loaded):
    """The cut right after the ACTIVATE record: slot B PENDING with 3 tries, before the trial boot's record."""
    trial_record = loaded.space.op_of_store(loaded.trace.marks[0].index) - 8
    return loaded.space.by_id[loaded.space.boundary_ids[trial_record]]


def test_image_helpers(loaded):
    assert peek_image(loaded.v2).version == "2.0.0"
    assert peek_image(loaded.v2 + b"\xff" * 100).extent == len(loaded.v2)
    assert peek_image(loaded.v2).security_counter == 2 and peek_image(b"\xff" * 64).security_counter is None


def test_the_end_state_booting_v2_confirmed_is_fine(loaded):
    assert judge(loaded, end_state(loaded), boot=boot()) == []


def test_an_early_cut_booting_v1_is_fine(loaded):
    state = loaded.space.states[3]
    assert judge(loaded, state, boot=boot("A", "1.0.0", floor=1, seq=1)) == []


def test_no_boot_line_is_i1(loaded):
    got = judge(loaded, loaded.space.states[0], boot=None, transcript="garbage")
    assert invariants(got) == ["I1"] and "no BOOT line" in got[0].message


def test_recovery_with_a_valid_image_is_i1(loaded):
    got = judge(loaded, loaded.space.states[0], boot=boot(None, floor=1, seq=1))
    assert "I1" in invariants(got)
    assert "slot A" in got[0].message


def test_missing_banner_is_i1(loaded):
    got = judge(loaded, end_state(loaded), boot=boot(), banner=None)
    assert invariants(got) == ["I1"]


def test_acked_confirm_lost_is_i11(loaded):
    image = bytearray(loaded.final)
    image[JOURNAL + 256 : JOURNAL + 320] = b"\xff" * 64  # the confirm record is gone after the boot
    got = judge(loaded, end_state(loaded), boot=boot(state="PENDING", tries=1, floor=1, seq=4),
                journal_after=bytes(image[JOURNAL : JOURNAL + 0x2000]))
    assert "I11" in invariants(got)


def test_a_pending_slot_that_fails_validation_is_i5(loaded):
    # The state after ACTIVATE, but slot B's data damaged: "PENDING before the data is complete".
    trial = state_before_store(loaded, loaded.trace.marks[0].index)
    image = bytearray(loaded.image(trial))
    image[SLOT_B + 0x1000 : SLOT_B + 0x1100] = b"\xff" * 0x100
    got = judge(loaded, trial, image=bytes(image), boot=boot("A", "1.0.0", floor=1, seq=4, rollback="INVALID"))
    assert "I5" in invariants(got)
    assert any("in the cut state" in v.message and "PENDING" in v.message for v in got)


def test_running_an_unknown_image_is_i4_and_i2(loaded):
    image = bytearray(loaded.final)
    image[SLOT_B + 0x300] ^= 0xFF
    got = judge(loaded, end_state(loaded), image=bytes(image), boot=boot())
    assert {"I2", "I4"} <= set(invariants(got))


def test_banner_disagreeing_with_the_image_is_i12(loaded):
    got = judge(loaded, end_state(loaded), boot=boot(), banner=("2.0.1", "B"))
    assert invariants(got) == ["I12"]


def test_fallback_changed_is_i7(loaded):
    image = bytearray(loaded.final)
    image[SLOT_A + 0x5000] = 0x00  # beyond v1's extent, still in slot A
    got = judge(loaded, end_state(loaded), image=bytes(image), boot=boot())
    assert invariants(got) == ["I7"]


def test_old_image_running_after_the_floor_was_raised_is_i9_and_i3(loaded):
    got = judge(loaded, end_state(loaded), boot=boot("A", "1.0.0", floor=2, seq=5),
                slots_after={"A": loaded.v1, "B": loaded.v2})
    assert {"I3", "I9", "I11"} <= set(invariants(got))


def test_repeated_seq_is_i6(loaded):
    journal = bytearray(loaded.final[JOURNAL : JOURNAL + 0x2000])
    journal[320:384] = loaded.records["confirm"]  # the same record twice
    got = judge(loaded, end_state(loaded), boot=boot(), journal_after=bytes(journal))
    assert invariants(got) == ["I6"]


def test_trial_running_longer_than_its_tries_is_i8(loaded):
    trial = after_activate(loaded)
    pending = [boot(state="PENDING", tries=2, floor=1, seq=4)] * 4
    got = judge(loaded, trial, boot=pending[0], trial_boots=pending[1:] + [boot("A", "1.0.0", floor=1, seq=8,
                                                                            rollback="TRIES_EXHAUSTED")])
    assert invariants(got) == ["I8"]
    fine = judge(loaded, trial, boot=pending[0],
                 trial_boots=pending[1:3] + [boot("A", "1.0.0", floor=1, seq=8, rollback="TRIES_EXHAUSTED")])
    assert fine == []


def test_trial_ending_without_tries_exhausted_is_i8(loaded):
    trial = state_before_store(loaded, loaded.trace.marks[0].index)
    got = judge(loaded, trial, boot=boot(state="PENDING", tries=2, floor=1, seq=4),
                trial_boots=[boot("A", "1.0.0", floor=1, seq=5, rollback="NONE")])
    assert invariants(got) == ["I8"]


def test_failed_retry_is_i10(loaded):
    got = judge(loaded, loaded.space.states[3], boot=boot("A", "1.0.0", floor=1, seq=1), retried=True,
                retry_error="UpdateError: FINISH refused")
    assert invariants(got) == ["I10"]


def test_torn_records_are_no_violation(loaded):
    torn = [s for s in loaded.space.states if s.region == "journal" and s.variant]
    assert torn
    for state in torn[:6]:
        journal_latest_seq = 1 if state.op < 8 else 2
        got = judge(loaded, state, boot=boot("A", "1.0.0", floor=1, seq=journal_latest_seq))
        assert got == [], (state.id, got)


def test_violations_name_the_cut(loaded):
    got = judge(loaded, loaded.space.states[0], boot=None)
    assert got[0].cut == loaded.space.states[0].id
    assert str(got[0]).startswith(f"I1 at {loaded.space.states[0].id}:")


def test_encoded_records_match_the_firmware_layout(loaded):
    assert encode_record(seq=1, floor=1)[:4] == b"JRNL"
