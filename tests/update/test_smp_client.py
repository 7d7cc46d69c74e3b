"""The SMP update client (smpclient through our console transport) against a simulated MCUmgr device.

The device (``smp_peer.py``) interleaves console text with SMP frames on one
stream: the test's ``expect()`` must keep every text line, the transcript
must show one marker per frame, and smpclient must get whole packets.
"""

from __future__ import annotations

import textwrap

import pytest

from pytest_iot_hil.console import open_console
from pytest_iot_hil.console.frames import LineDemux
from pytest_iot_hil.devices.demo import demo_image
from pytest_iot_hil.update import UpdateError
from pytest_iot_hil.update.smp.client import SmpBootObserver, SmpUpdateClient

from smp_peer import SmpPeer

V2 = demo_image("v2", slot="B")


@pytest.fixture
def peer():
    device = SmpPeer()
    yield device
    device.close()


@pytest.fixture
def device(peer):
    console = open_console(peer.url, timeout=3)
    client = SmpUpdateClient(console, timeout=2)
    yield peer, console, client
    client.close()
    console.close()


def test_update_test_reboot_confirm_cycle(device):
    peer, console, client = device
    seen = []
    client.on_progress(lambda p: seen.append(p.sent))
    facts = client.install(V2)
    assert facts == {"slot": "1", "version": "2.0.0", "state": "PENDING"}
    boot = SmpBootObserver(client).wait_for_boot(3)
    assert (boot.slot, boot.version, boot.state) == ("0", "2.0.0", "PENDING")
    assert client.confirm() == "2.0.0"
    assert SmpBootObserver(client).running().state == "CONFIRMED"
    # Progress: the offsets the device reported, rising to the whole image.
    assert seen == sorted(seen) and seen[-1] == V2.stat().st_size and len(seen) > 5
    # MCUmgr params first (smpclient's connect), then the upload in ~1 KiB chunks (buf_size 1024).
    assert peer.requests[0] == (0, 0, 6)
    chunks = peer.requests.count((2, 1, 1))
    assert V2.stat().st_size / 1020 <= chunks <= V2.stat().st_size / 900 + 1


def test_console_text_and_frames_share_the_link(device):
    peer, console, client = device
    client.echo("first")
    console.expect(r"smp request op=2 group=0 id=0")  # the device's text around the frames
    client.reboot()
    console.expect(r"\*\*\* Booting MCUboot image \*\*\*")
    text = console.transcript.decode()
    # (Not the peer's greeting: pyserial's socket:// open empties the input, so
    # a greeting sent while the console connects may be gone.)
    assert "[SMP frame]" in text and "smp request op=2 group=0 id=0\r\n" in text
    assert "\x06\x09" not in text and "\x04\x14" not in text   # no base64 frame lines in the transcript


def test_an_interrupted_upload_resumes_where_the_device_stopped(device):
    peer, console, client = device

    class Cut(Exception):
        pass

    def cut_halfway(progress):
        if progress.sent > 4000:
            raise Cut()

    client.on_progress(cut_halfway)
    with pytest.raises(Cut):
        client.transfer(V2)
    client.remove_progress_callback(cut_halfway)
    held = len(peer.slots[1].data)
    assert 4000 < held < V2.stat().st_size
    result = client.transfer(V2)
    assert result.resumed_from == held
    assert bytes(peer.slots[1].data) == V2.read_bytes()


def test_a_refusal_names_rc_step_and_reason(device):
    peer, console, client = device
    peer.refuse_upload = "E_ROLLBACK"
    with pytest.raises(UpdateError) as exc:
        client.transfer(V2)
    assert exc.value.code == "E_ROLLBACK" and exc.value.step == "upload"
    assert "upload refused by the device: rc=3 (EINVAL): E_ROLLBACK" in str(exc.value)


def test_activating_an_unknown_image_is_refused(device):
    peer, console, client = device
    client._image = demo_image("v3-crash", slot="B").read_bytes()
    with pytest.raises(UpdateError, match=r"image state write refused by the device: rc=3 \(EINVAL\): no image"):
        client.activate()


def test_smp_has_no_mark_bad(device):
    with pytest.raises(UpdateError, match="SMP has no mark-bad"):
        device[2].mark_bad()


def test_a_device_without_mcumgr_params_gets_small_chunks(peer):
    peer.answer_params = False
    console = open_console(peer.url, timeout=3)
    client = SmpUpdateClient(console, timeout=2)  # its params request goes unanswered: connecting waits this long once
    try:
        client.transfer(V2)
        assert peer.requests.count((2, 1, 1)) > 50  # 169-byte messages, as smpclient assumes
        assert bytes(peer.slots[1].data) == V2.read_bytes()
    finally:
        client.close()
        console.close()


def test_a_device_that_stops_answering_is_a_clear_error(device):
    peer, console, client = device
    client.echo()
    peer.mute = True
    with pytest.raises(UpdateError, match=r"echo: the device did not answer EchoWrite within 2 s"):
        client.echo()
    peer.close()  # the link goes away too
    with pytest.raises(UpdateError, match=r"echo: .*console link closed"):
        client.echo()


# -- the demultiplexer, byte by byte ------------------------------------------------------


def test_demux_splits_frames_across_chunks_and_keeps_lone_marker_bytes_as_text():
    lines = []
    demux = LineDemux(lines.append)
    stream = b"boot ok\r\n\x06\x09QUJD\n\x04\x14REVG\nafter\r\n\x06x\r\nmid\x06\x09line\r\n\x04\x14orphan\n"
    text = b"".join(demux.feed(stream[i:i + 3]) for i in range(0, len(stream), 3))
    assert lines == [b"\x06\x09QUJD\n", b"\x04\x14REVG\n", b"\x04\x14orphan\n"]
    assert text == b"boot ok\r\n[SMP frame]\nafter\r\n\x06x\r\nmid\x06\x09line\r\n"
    assert demux.frames == 1


# -- through the fixtures: `update = "smp"` in the inventory ---------------------------------


BENCH = '''
import serial
from pytest_iot_hil.protocols.target import Target

from smp_peer import SmpPeer


class SmpBench(Target):
    """A board whose console is an MCUmgr device (the simulated one)."""
    backend = "smpbench"

    def start(self, firmware):
        self.peer = SmpPeer()
        self.port = serial.serial_for_url(self.peer.url, timeout=0)

    def close(self):
        if getattr(self, "port", None) is not None:
            self.port.close()
            self.peer.close()
            self.port = None

    def reset(self):
        pass

    def read_memory(self, address, size):
        return bytes(size)

    def write_memory(self, address, data):
        pass

    def program(self, firmware):
        pass

    def console_port(self):
        return self.port


def pytest_hil_backend_names(config):
    return ["smpbench"]


def pytest_hil_validate_target(config, description):
    return True if description.backend == "smpbench" else None


def pytest_hil_make_target(config, description, log_dir):
    return SmpBench(description) if description.backend == "smpbench" else None
'''


def test_update_smp_in_the_inventory_selects_the_smp_client_and_observer(pytester):
    import shutil
    from pathlib import Path

    shutil.copy(Path(__file__).parent / "smp_peer.py", pytester.path / "smp_peer.py")
    pytester.makeconftest(BENCH)
    pytester.makefile(".toml", hil=textwrap.dedent('''
        [targets.zephyr-board]
        backend = "smpbench"
        update = "smp"
    '''))
    pytester.makepyfile(test_board=f'''
import pytest
from pytest_iot_hil.update.smp.client import SmpUpdateClient

@pytest.mark.hil
def test_update(ota, boot):
    assert isinstance(ota, SmpUpdateClient)
    assert boot.running().version == "1.0.0"
    ota.install(r"{V2}")
    assert boot.wait_for_boot(3).version == "2.0.0"
    ota.confirm()
    assert boot.running().state == "CONFIRMED"
''')
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_an_unknown_update_client_in_the_inventory_is_a_usage_error(pytester, usage_error):
    pytester.makefile(".toml", hil='[targets.b]\nbackend = "qemu"\nmachine = "mps2-an385"\nupdate = "tftp"\n')
    pytester.makepyfile("def test_x():\n    pass\n")
    usage_error(pytester.runpytest("--hil"), "[targets.b].update = 'tftp': choose one of smp")
