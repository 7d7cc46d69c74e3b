"""Secure boot: the device runs only images signed by its own key.

Each attack image is made from a good image with the tamper helpers (any
team can make its own the same way) and must be refused with its reason,
over the air and when written straight into the slot; the old image keeps
running.
"""

import pytest

from pytest_iot_hil.devices.demo import demo_image
from pytest_iot_hil.devices.demo.assertions import assert_refused
from pytest_iot_hil.devices.demo.attacks import write_into_slot
from pytest_iot_hil.devices.demo.layout import attacker_key, current_board
from pytest_iot_hil.images import TLV_ED25519, TLV_KEYHASH, remove_tlv, sign_image
from pytest_iot_hil.update import UpdateError

GOOD = demo_image("v2", slot="B").read_bytes()
ATTACKS = {
    "unsigned": (remove_tlv(remove_tlv(GOOD, TLV_ED25519), TLV_KEYHASH), "E_SIG no-signature"),
    "someone else's key": (sign_image(GOOD, key=attacker_key(), slot_size=current_board().slot_size), "E_KEY key-hash-mismatch"),
}


@pytest.mark.hil
@pytest.mark.parametrize("name", ATTACKS)
def test_refused_over_the_air(ota, boot, console, name):
    image, reason = ATTACKS[name]
    boot.wait_for_boot()
    with pytest.raises(UpdateError, match=reason):
        ota.install(image)
    assert_refused(console, reason=reason, slot="B")


@pytest.mark.hil
@pytest.mark.parametrize("name", ATTACKS)
def test_refused_at_boot_when_written_into_the_slot(ota, boot, console, hil_target, name):
    image, reason = ATTACKS[name]
    boot.wait_for_boot()
    write_into_slot(hil_target, image, "B")
    ota.reboot()
    seen = boot.wait_for_boot()
    assert (seen.slot, seen.version, seen.rollback) == ("A", "1.0.0", "INVALID")
    assert_refused(console, reason=reason, slot="B")
