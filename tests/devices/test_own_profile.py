"""A team's own device profile, written from scratch in a ``conftest.py``.

Nothing here comes from the demo profile's code: the team's firmware (in this
test, the demo firmware's binaries, which it treats as its own) announces a
boot with its app banner only, takes updates over SMP (MCUmgr) through a
client of a few lines the team wrote by hand (no SMP library), and is judged
by an oracle of its own.
The profile plugs in through the hooks only (device names, a built-in
target, the update client, the boot observer), and the fixtures, a boot
assertion, a power cut and a small power-cut campaign all run through it.
"""

from __future__ import annotations

import textwrap

import pytest

from pytest_iot_hil.devices.demo.layout import firmware_dir

pytestmark = pytest.mark.needs_qemu

PROFILE = '''
import base64
import binascii
import hashlib
import re
import struct
import time

import cbor2

import pytest

from pytest_iot_hil.campaign import Oracle, Violation
from pytest_iot_hil.protocols import (
    BootInfo, BootObserver, MemoryRegion, TargetDescription, TransferResult, UpdateClient, UpdateError,
)

FIRMWARE_DIR = {firmware_dir!r}
BANNER = r"app v(\\d+\\.\\d+\\.\\d+) slot=([AB])\\r?\\n"


# -- the memory map and the built-in target -------------------------------------------
def pytest_hil_device_names(config):
    return ["mini"]


def pytest_hil_builtin_targets(config):
    return [TargetDescription(
        name="mini-board", backend="qemu", device="mini", firmware=__import__("pathlib").Path(FIRMWARE_DIR) / "factory-v1.bin",
        flash=MemoryRegion("flash", 0, 0x100000),
        regions=(MemoryRegion("loader", 0, 0xC000), MemoryRegion("meta", 0xC000, 0x4000),
                 MemoryRegion("app_a", 0x10000, 0x78000), MemoryRegion("app_b", 0x88000, 0x78000)),
        options={{"machine": "mps2-an385"}},
    )]


# -- how our firmware tells about a boot: its banner, and a `version` command -----------
class BannerBoots(BootObserver):
    def __init__(self, console):
        self.console = console

    def _info(self, match, raw):
        return BootInfo(slot=match[2], version=match[1], state="RUNNING", raw=raw.strip())

    def wait_for_boot(self, timeout=None, *, app=True):
        self.console.expect(BANNER, timeout=timeout or 10)
        return self._info(self.console.match, self.console.after)

    def running(self):
        self.console.sendline("version")
        self.console.expect(r"version (\\S+) slot=([AB])\\r?\\n", timeout=5)
        m = self.console.match
        return BootInfo(slot=m[2], version=m[1], state="RUNNING", raw=m[0].strip())

    def history(self, transcript):
        return [self._info(m, m[0]) for m in re.finditer(BANNER, transcript)]


# -- our update client: a few lines of SMP (MCUmgr) over the console, written by hand --------
# A packet is len(2, big-endian) + message + CRC-16/XMODEM, base64, in lines of at most 127
# bytes: the first starts 06 09, the next ones 04 14. A message is an 8-byte header and CBOR.
class MiniSmpClient(UpdateClient):
    CHUNK = 256

    def __init__(self, console):
        super().__init__()
        self.console = console
        self.seq = 0

    def _request(self, op, group, command, body):
        self.seq = (self.seq + 1) & 0xFF
        payload = cbor2.dumps(body)
        message = struct.pack(">BBHHBB", 0x08 | op, 0, len(payload), group, self.seq, command) + payload
        packet = struct.pack(">H", len(message) + 2) + message + struct.pack(">H", binascii.crc_hqx(message, 0))
        for n, start in enumerate(range(0, len(packet), 90)):
            self.console.send((b"\\x06\\x09" if n == 0 else b"\\x04\\x14") + base64.b64encode(packet[start:start + 90]) + b"\\n")
        got = b""
        while len(got) < 2 or len(got) < 2 + struct.unpack(">H", got[:2])[0]:
            self.console.expect(r"(?:\\x06\\x09|\\x04\\x14)([A-Za-z0-9+/=]+)\\r?\\n", timeout=5)
            got += base64.b64decode(self.console.match[1])
        reply = cbor2.loads(got[2 + 8:-2])
        if reply.get("rc", 0):
            raise UpdateError(f"group {{group}} command {{command}} refused: rc {{reply['rc']}} {{reply.get('rsn', '')}}",
                              code=str(reply["rc"]))
        return reply

    def transfer(self, image, *, resume=True):
        data = open(image, "rb").read() if not isinstance(image, bytes) else image
        started = time.monotonic()
        for offset in range(0, len(data), self.CHUNK):
            body = {{"image": 0, "off": offset, "data": data[offset:offset + self.CHUNK]}}
            if offset == 0:
                body.update(len=len(data), sha=hashlib.sha256(data).digest())
            self._request(2, 1, 1, body)
            self._report(min(offset + self.CHUNK, len(data)), len(data), started)
        return TransferResult(len(data), 0, time.monotonic() - started, 0)

    def finish(self):
        return {{}}   # the last chunk finishes the upload

    def activate(self, *, permanent=False):
        images = self._request(0, 1, 0, {{}})["images"]
        new = next(i for i in images if i["slot"] == 1 or not i.get("active"))
        self._request(2, 1, 0, {{"hash": new["hash"], "confirm": permanent}})
        return {{}}

    def _say(self, command, reply):
        self.console.sendline(command)
        self.console.expect(reply, timeout=5)

    def confirm(self):
        self._say("confirm", r"OK confirm[^\\r\\n]*\\r?\\n")
        return "ok"

    def mark_bad(self):
        self._say("mark-bad", r"OK mark-bad")

    def reboot(self):
        self._request(2, 0, 5, {{}})


def pytest_hil_make_update_client(config, target, console):
    return MiniSmpClient(console) if target.description.device == "mini" else None


def pytest_hil_make_boot_observer(config, target, console):
    return BannerBoots(console) if target.description.device == "mini" else None


# -- our promise after any power cut: an app answers, and it is v1 or v2 ---------------
class MiniOracle(Oracle):
    invariants = {{"M1": "an app answers after the cut, running 1.0.0 or 2.0.0"}}

    def check(self, device, ctx):
        version = device.boot.running().version
        if version not in ("1.0.0", "2.0.0"):
            return [Violation("M1", ctx.state.id, f"the device runs {{version}} after the cut")]
        return []
'''

TESTS = '''
import pytest

from pytest_iot_hil import assert_running
from pytest_iot_hil.campaign import Campaign
from pytest_iot_hil.power import after_update_bytes

from conftest import MiniOracle, FIRMWARE_DIR

V2 = FIRMWARE_DIR + "/app-v2-slotB.signed.bin"


@pytest.mark.hil
def test_update_through_our_own_profile(console, boot, ota, power):
    assert boot.wait_for_boot().version == "1.0.0"
    with power.cut_at(after_update_bytes(4096)):
        ota.install(V2)
    power.on()
    assert boot.wait_for_boot().version == "1.0.0"        # cut mid-transfer: v1 still runs
    ota.install(V2)
    first = boot.wait_for_boot()
    assert (first.slot, first.version) == ("B", "2.0.0")
    assert_running(console, version="2.0.0", slot="B")    # read through our BootObserver
    with pytest.raises(AssertionError, match=r"(?s)version='9.9.9'.*#  slot  version  state"):
        assert_running(console, version="9.9.9")
    ota.confirm()
    power.cycle()
    assert boot.wait_for_boot().version == "2.0.0"


def our_update(device):
    device.ota.install(V2)
    device.boot.wait_for_boot()
    device.ota.confirm()


@pytest.mark.hil_campaign(Campaign(procedure=our_update, oracle=MiniOracle(), critical_regions=("meta",),
                                   name="mini"), cuts="sample:5:3")
def test_our_update_survives_power_cuts(power_cut):
    power_cut.check()
'''


def test_a_profile_written_from_scratch_drives_fixtures_assertions_and_a_campaign(pytester, tmp_path):
    pytester.makeini(f"[pytest]\ncache_dir = {tmp_path / 'cache'}\n")
    pytester.makeconftest(textwrap.dedent(PROFILE.format(firmware_dir=str(firmware_dir()))))
    pytester.makepyfile(test_mini=textwrap.dedent(TESTS))
    result = pytester.runpytest_subprocess("--hil", "--hil-target", "mini-board", "-p", "no:randomly")
    result.assert_outcomes(passed=6)
    result.stdout.fnmatch_lines(["*test_our_update_survives_power_cuts*5 cuts run*5 passed*"])
    report = (pytester.path / "hil-logs" / "power-cut-report.html").read_text()
    assert "M1" in report and "an app answers after the cut" in report
    assert "I11" not in report  # the demo's invariants are the demo oracle's, not every campaign's


def test_a_target_without_a_profile_says_which_key_to_add(pytester, qemu_target_table, hil_toml):
    hil_toml(qemu_target_table("bare", firmware=str(firmware_dir() / "factory-v1.bin")))
    pytester.makepyfile('''
import pytest
@pytest.mark.hil
def test_ota(ota):
    pass
@pytest.mark.hil
def test_boot(boot):
    pass
''')
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines([
        "*no update client: target 'bare' names no device profile: add `device = \"<profile>\"` to [[]targets.bare[]]*"
        "(installed profiles: demo)*",
        "*no boot observer: target 'bare' names no device profile*",
    ])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_an_unknown_profile_stops_the_run(pytester, qemu_target_table, hil_toml, usage_error):
    hil_toml(qemu_target_table("bench", firmware=str(firmware_dir() / "factory-v1.bin"), extra='device = "nosuch"\n'))
    pytester.makepyfile("def test_x():\n    pass\n")
    usage_error(pytester.runpytest("--hil"),
                "target 'bench' names device profile 'nosuch', which no installed plugin provides (installed: demo)")
