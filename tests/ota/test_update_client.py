"""The update client itself: retries, error messages, progress, and the hook."""

from __future__ import annotations

import pytest

from pytest_iot_hil.images.build import sign_bytes
from pytest_iot_hil.devices.demo.layout import HEADER_SIZE, SLOT_SIZE, signing_key
from pytest_iot_hil.images.mcuboot import read_image
from pytest_iot_hil.update import UpdateError
from pytest_iot_hil.devices.demo.images import demo_image

V2 = demo_image("v2", slot="B")


@pytest.mark.hil
def test_a_frame_damaged_on_the_wire_is_sent_again(ota, boot):
    boot.wait_for_boot()
    # The device drops a damaged frame silently: the client waits this long, then resends
    # (the first chunk too, whose wait is long by default: a real device erases first).
    ota.timeout = ota.first_timeout = 1.0
    original = ota.console.send
    damaged = []

    def flaky_send(data):
        # Damage one SMP line of an upload request once: a base64 character changed, so its CRC fails.
        if isinstance(data, bytes) and data.startswith(b"\x06\x09") and len(data) > 1000 and not damaged:
            damaged.append(True)
            i = 40
            data = data[:i] + (b"A" if data[i:i + 1] != b"A" else b"B") + data[i + 1:]
        return original(data)

    ota.console.send = flaky_send
    result = ota.transfer(V2)
    assert damaged and result.retries == 1
    assert ota.finish()["version"] == "2.0.0"


@pytest.mark.hil
def test_a_refusal_names_the_step_and_the_device_s_reason(ota, boot):
    boot.wait_for_boot()
    with pytest.raises(UpdateError) as err:
        ota.transfer(demo_image("bad/payload-flip", slot="B"))
    assert err.value.code == "E_HASH" and err.value.step == "upload"
    assert "upload refused by the device: rc=3 (EINVAL): E_HASH image-hash-mismatch" in str(err.value)


@pytest.mark.hil
def test_begin_alone_invalidates_the_inactive_slot(ota, boot, hil_target):
    from pytest_iot_hil.devices.demo.journal import read_journal

    boot.wait_for_boot()
    ota.install(V2)
    boot.wait_for_boot()
    ota.confirm()
    assert ota.begin(V2) == {"next": "0"}
    latest = read_journal(hil_target).latest
    assert latest.slot("A").state == "EMPTY" and latest.reason == "UPDATE"


def test_progress_is_shown_for_long_transfers(pytester):
    info = read_image(V2)
    big = sign_bytes(info.payload + bytes(40 * 1024), version="2.0.0", security_counter=2, slot_base=0x88000,
                     slot_size=SLOT_SIZE, header_size=HEADER_SIZE, key=signing_key())
    (pytester.path / "big.bin").write_bytes(big)
    pytester.makepyfile('''
import pytest
@pytest.mark.hil
def test_transfer(ota, boot):
    boot.wait_for_boot()
    ota.transfer("big.bin")
''')
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*ota: * KiB (*%) at * KiB/s*"])


def test_a_team_plugs_in_its_own_update_client(pytester):
    pytester.makeconftest('''
import pytest
from pytest_iot_hil.update import UpdateClient, TransferResult

class ReversingClient(UpdateClient):
    """Stands for a team's own protocol; records what the base class asks of it."""
    def __init__(self, console):
        super().__init__()
        self.console = console
        self.calls = []
    def transfer(self, image, *, resume=True):
        self.calls.append("transfer")
        self._report(10, 10, 0.0)
        return TransferResult(size=10, resumed_from=0, seconds=0.0, retries=0)
    def finish(self):
        self.calls.append("finish"); return {"version": "9.9.9"}
    def activate(self, *, permanent=False):
        self.calls.append("activate"); return {"state": "PENDING"}
    def confirm(self):
        self.calls.append("confirm"); return "1"
    def mark_bad(self):
        self.calls.append("mark_bad")
    def reboot(self):
        self.calls.append("reboot")

def pytest_hil_make_update_client(config, target, console):
    return ReversingClient(console)
''')
    pytester.makepyfile('''
import pytest
@pytest.mark.hil
def test_own_client(ota):
    seen = []
    ota.on_progress(seen.append)
    facts = ota.install(b"0123456789")
    assert type(ota).__name__ == "ReversingClient"
    assert ota.calls == ["transfer", "finish", "activate", "reboot"]
    assert facts == {"version": "9.9.9", "state": "PENDING"}
    assert seen and seen[-1].sent == 10
''')
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
