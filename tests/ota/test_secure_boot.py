"""Secure boot on the demo device, end to end in QEMU: the attack matrix.

Every image of :func:`~pytest_iot_hil.devices.demo.attacks.attack_matrix`
(unsigned, another key, another image's signature, a forged key hash, a
signature cut short or made longer, two signatures, flipped bits in every
protected header field, the payload and the protected TLVs, a validly
signed downgrade, a SEC_CNT smuggled into the unprotected area) is tried two
ways, from a device running v1 confirmed:

* sent through the update client: refused at the end of the upload with its
  own reason (SMP's rsn and a ``REFUSED`` line on the console), nothing
  activated, slot A untouched;
* written straight into slot B with a PENDING record: refused by the
  bootloader at boot with the same reason, slot B marked BAD, v1 runs.

It never runs. The fail-open build (B11) takes the signature attacks: the
last tests show that, so the matrix is known to be able to fail.
"""

from __future__ import annotations

import pytest

from pytest_iot_hil.devices.demo.assertions import assert_refused, refusals
from pytest_iot_hil.devices.demo.attacks import attack_matrix, write_into_slot
from pytest_iot_hil.devices.demo.journal import read_journal
from pytest_iot_hil.devices.demo.layout import SLOT_A, firmware_dir
from pytest_iot_hil.update import UpdateError

pytestmark = pytest.mark.hil

ATTACKS = {a.name: a for a in attack_matrix("B")}


def banners_in_slot_b(console) -> list[str]:
    text = console.transcript.decode("utf-8", errors="replace")
    return [line for line in text.splitlines() if line.startswith("app v") and "slot=B" in line]


@pytest.fixture
def booted(ota, boot):
    first = boot.wait_for_boot()
    assert (first.version, first.slot, first.state) == ("1.0.0", "A", "CONFIRMED")
    return ota


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_sent_through_the_update_client_is_refused(booted, boot, console, hil_target, name):
    attack = ATTACKS[name]
    slot_a = hil_target.read_memory(SLOT_A.start, SLOT_A.size)
    with pytest.raises(UpdateError) as err:
        booted.install(attack.image)
    assert err.value.code == attack.code, str(err.value)
    assert attack.reason in str(err.value)
    assert_refused(console, reason=attack.reason, slot="B")
    assert hil_target.read_memory(SLOT_A.start, SLOT_A.size) == slot_a
    assert read_journal(hil_target).latest.slots["B"].state == "EMPTY"
    booted.reboot()
    seen = boot.wait_for_boot()
    assert (seen.slot, seen.version, seen.state) == ("A", "1.0.0", "CONFIRMED")
    assert not banners_in_slot_b(console)


@pytest.mark.parametrize("name", ATTACKS)
def test_attack_written_into_the_slot_is_refused_at_boot(booted, boot, console, hil_target, name):
    attack = ATTACKS[name]
    write_into_slot(hil_target, attack.image, "B")
    booted.reboot()
    seen = boot.wait_for_boot()
    assert (seen.slot, seen.version, seen.rollback) == ("A", "1.0.0", "INVALID")
    assert_refused(console, reason=attack.reason, slot="B")
    journal = read_journal(hil_target)
    assert journal.latest.slots["B"].state == "BAD" and journal.latest.floor == 1
    assert not banners_in_slot_b(console)


def test_every_attack_has_its_own_case_and_a_reason():
    assert len(ATTACKS) == len(attack_matrix("B")) >= 20
    assert {a.code for a in ATTACKS.values()} >= {"E_SIG", "E_KEY", "E_HASH", "E_ROLLBACK", "E_MAGIC",
                                                 "E_LOADADDR", "E_SIZE", "E_TLV"}
    assert len({a.image for a in ATTACKS.values()}) == len(ATTACKS)   # no two attacks are the same image


def test_refusal_lines_are_read_from_the_console_text():
    text = b"app v1.0.0 slot=A\r\nREFUSED E_SIG bad-signature slot=B\r\nREFUSED E_MAGIC bad-header-magic slot=A\r\n"
    assert refusals(text) == [("E_SIG bad-signature", "B"), ("E_MAGIC bad-header-magic", "A")]
    assert assert_refused(text, reason="E_SIG") == ("E_SIG bad-signature", "B")
    with pytest.raises(AssertionError, match=r"did not refuse an image for 'E_KEY'.*'E_SIG bad-signature' \(slot B\)"):
        assert_refused(text, reason="E_KEY")
    with pytest.raises(AssertionError, match="in slot B"):
        assert_refused(text, reason="E_MAGIC", slot="B")


# -- the fail-open build (B11) takes what the correct one refuses ------------------------------

FAIL_OPEN = firmware_dir() / "buggy" / "B11" / "factory-v1.bin"

INNER = '''
import pytest
from pytest_iot_hil.devices.demo.attacks import attack_matrix, write_into_slot

ATTACKS = {a.name: a for a in attack_matrix("B")}


@pytest.mark.parametrize("name", ["unsigned", "other-key", "signature-of-another-image"])
def test_accepted_through_the_client(ota, boot, name):
    assert boot.wait_for_boot().version == "1.0.0"
    ota.install(ATTACKS[name].image)
    seen = boot.wait_for_boot()
    assert (seen.slot, seen.state) == ("B", "PENDING")


@pytest.mark.parametrize("name", ["unsigned", "right-key-hash-wrong-signature"])
def test_accepted_from_the_slot(ota, boot, console, hil_target, name):
    assert boot.wait_for_boot().version == "1.0.0"
    write_into_slot(hil_target, ATTACKS[name].image, "B")
    ota.reboot()
    seen = boot.wait_for_boot()   # and the app's banner after it
    assert (seen.slot, seen.version) == ("B", "2.0.0")
    assert b"app v2.0.0 slot=B" in console.transcript


def test_the_hash_still_stops_a_flipped_payload(ota, boot):
    assert boot.wait_for_boot().version == "1.0.0"
    with pytest.raises(Exception, match="E_HASH"):
        ota.install(ATTACKS["payload-flip"].image)
'''


def test_the_fail_open_build_runs_the_signature_attacks(pytester):
    if not FAIL_OPEN.is_file():
        pytest.skip(f"{FAIL_OPEN} is not built (make -C firmware_fixtures install)")
    pytester.makepyfile(test_fail_open=INNER)
    result = pytester.runpytest_subprocess("--hil", f"--hil-firmware={FAIL_OPEN}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
