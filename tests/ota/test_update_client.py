"""The update client itself: retries, error messages, progress, and the hook."""

from __future__ import annotations

import pytest

from pytest_iot_hil.images.build import sign_bytes
from pytest_iot_hil.devices.demo.layout import HEADER_SIZE, SLOT_SIZE
from pytest_iot_hil.images.mcuboot import read_image
from pytest_iot_hil.update import UpdateError
from pytest_iot_hil.devices.demo.cobs import decode, encode
from pytest_iot_hil.devices.demo.images import demo_image

V2 = demo_image("v2", slot="B")


@pytest.mark.parametrize("data", [b"", b"\x00", b"\x00\x00", bytes(range(256)) * 3, b"\x01" * 254, b"\x01" * 255])
def test_cobs_round_trip_has_no_zero(data):
    encoded = encode(data)
    assert 0 not in encoded
    assert decode(encoded) == data


def test_cobs_rejects_garbage():
    with pytest.raises(ValueError):
        decode(b"\x05ab")


@pytest.mark.hil
def test_a_frame_damaged_on_the_wire_is_resent(ota, boot):
    boot.wait_for_boot()
    original = ota.console.send
    damaged = []

    def flaky_send(data):
        # Damage the first DATA frame once: flip a payload byte inside the COBS body.
        if isinstance(data, bytes) and len(data) > 300 and not damaged:
            damaged.append(True)
            data = data[:200] + bytes([data[200] ^ 0x40 or 1]) + data[201:]
        return original(data)

    ota.console.send = flaky_send
    result = ota.transfer(V2)
    assert damaged and result.retries == 1
    assert ota.finish()["version"] == "2.0.0"


@pytest.mark.hil
def test_a_refused_chunk_is_named_in_the_error(ota, boot):
    boot.wait_for_boot()
    image = V2.read_bytes()
    ota.begin(image)
    ota.send_chunk(image, 0)
    tampered = bytes([image[0] ^ 1]) + image[1:]
    with pytest.raises(UpdateError) as err:
        ota.send_chunk(tampered, 0)
    assert err.value.code == "E_RANGE" and err.value.offset == 0
    assert "chunk at offset 0" in str(err.value) and "differs-from-written-data" in str(err.value)


def test_progress_is_shown_for_long_transfers(pytester):
    info = read_image(V2)
    big = sign_bytes(info.payload + bytes(40 * 1024), version="2.0.0", security_counter=2, slot_base=0x88000,
                     slot_size=SLOT_SIZE, header_size=HEADER_SIZE)
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
