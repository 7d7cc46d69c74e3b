"""The demo firmware in QEMU serves SMP (MCUmgr) over its console, next to its shell.

Driven two ways: by our SMP client (smpclient through the console) behind
the ``ota``/``boot`` fixtures of a target with ``update = "smp"``, and by
``smpmgr``, a real SMP command-line client we did not write, through a pty
bridged to the emulator's UART.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_iot_hil.devices.demo.layout import firmware_dir

pytestmark = pytest.mark.needs_qemu

BUILD = firmware_dir()
INVENTORY = textwrap.dedent(f'''
    [targets.mcumgr]
    backend = "qemu"
    machine = "mps2-an385"
    update = "smp"
    firmware = "{BUILD / "factory-v1.bin"}"
    flash = {{ start = 0x0, size = 0x100000 }}
''')


def test_the_smp_client_updates_the_demo_device(pytester):
    pytester.makefile(".toml", hil=INVENTORY)
    pytester.makepyfile(f'''
import pytest
from pytest_iot_hil.update import UpdateError
from pytest_iot_hil.power import after_update_bytes

V2 = r"{BUILD / "app-v2-slotB.signed.bin"}"
BAD = r"{BUILD / "bad" / "app-v2-payload-flip-slotB.bin"}"

@pytest.mark.hil
def test_update_trial_confirm(console, ota, boot):
    console.expect("app v1.0.0 slot=A")
    assert (boot.running().slot, boot.running().version) == ("0", "1.0.0")
    ota.install(V2)
    trial = boot.wait_for_boot(5)
    assert (trial.slot, trial.version, trial.state) == ("1", "2.0.0", "PENDING")
    assert "BOOT slot=B version=2.0.0 state=PENDING tries=2" in console.transcript.decode()  # text kept
    assert "[SMP frame]" in console.transcript.decode()
    ota.confirm()
    assert boot.running().state == "CONFIRMED"
    console.sendline("info")           # the shell still answers between SMP requests
    console.expect("info slot=B version=2.0.0 state=CONFIRMED floor=2")

@pytest.mark.hil
def test_a_corrupt_image_is_refused_with_the_bootloader_s_reason(console, ota, boot):
    console.expect("app v1.0.0 slot=A")
    with pytest.raises(UpdateError) as exc:
        ota.transfer(BAD)
    assert exc.value.code == "E_HASH image-hash-mismatch" and exc.value.step == "upload"
    assert boot.running().version == "1.0.0"

@pytest.mark.hil
def test_a_power_cut_mid_upload_then_the_update_is_retried(console, ota, boot, power):
    console.expect("app v1.0.0 slot=A")
    with power.cut_at(after_update_bytes(6000)):
        ota.install(V2)
    power.on()
    assert boot.wait_for_boot(5).version == "1.0.0"
    ota.install(V2)
    assert boot.wait_for_boot(5).version == "2.0.0"

@pytest.mark.hil
def test_garbage_on_the_uart_does_not_wedge_shell_or_smp(console, ota):
    console.expect("app v1.0.0 slot=A")
    ota.echo("before")
    half_frame = b"\\x06\\x09" + b"AAAAQUJD" * 8           # a frame line cut off by noise
    console.send(b"\\xff\\xfe line noise \\x06 \\x04\\x15\\r\\n" + half_frame + b"\\r\\n\\xff\\xff\\r\\n")
    console.sendline("version")
    console.expect("version 1.0.0 slot=A")
    assert ota.echo("after") == "after"
    mark = console.mark
    console.send(b"\\x00\\x00 noise \\x00\\xff\\x00\\r\\n")       # NULs (once the start of a frame), then a line end
    console.sendline("version")
    console.expect("version 1.0.0 slot=A")
    assert b"OTA" not in console.transcript_since(mark)
    assert ota.echo("after NULs") == "after NULs"
''')
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def _smpmgr() -> str:
    path = Path(sys.executable).parent / "smpmgr"
    return str(path) if path.exists() else (shutil.which("smpmgr") or "")


@pytest.mark.skipif(not _smpmgr(), reason="smpmgr is not installed (pip install smpmgr)")
def test_smpmgr_uploads_tests_and_resets_the_demo_device():
    sys.path.insert(0, str(Path(__file__).parent))
    from ptybridge import PtyBridge

    from pytest_iot_hil.backends.qemu.target import QemuTarget
    from pytest_iot_hil.firmware import FirmwareImage
    from pytest_iot_hil.images.mcuboot import TLV_SHA256, read_image
    from pytest_iot_hil.plugin.standalone import builtin_target

    description = builtin_target()
    target = QemuTarget(description)
    bridge = None
    try:
        target.start(FirmwareImage.load(description.firmware))
        bridge = PtyBridge(target.console_port())

        def smpmgr(*args: str) -> str:
            res = subprocess.run([_smpmgr(), "--port", bridge.path, "--timeout", "5", *args],
                                 capture_output=True, text=True, timeout=120)
            assert res.returncode == 0, f"smpmgr {' '.join(args)}: {res.stdout}{res.stderr}"
            return res.stdout

        assert "interop" in smpmgr("os", "echo", "interop")
        before = smpmgr("image", "state-read")
        assert "version='1.0.0'" in before and "slot=1" not in before
        v2 = BUILD / "app-v2-slotB.signed.bin"
        smpmgr("image", "upload", str(v2))
        listed = smpmgr("image", "state-read")
        assert "slot=1" in listed and "version='2.0.0'" in listed
        sha = next(t for t in read_image(v2.read_bytes()).tlvs if t.type == TLV_SHA256).value.hex()
        smpmgr("image", "state-write", sha)
        assert "pending=True" in smpmgr("image", "state-read").split("slot=1")[1]
        smpmgr("os", "reset")
        after = smpmgr("image", "state-read")    # smpmgr reconnects: the trial of v2 runs
        running = after[after.index("slot=1"):]
        assert "version='2.0.0'" in running and "active=True" in running.split("ImageState")[0]
        smpmgr("image", "state-write", "--confirm")
        assert "confirmed=True" in smpmgr("image", "state-read").split("slot=1")[1].split("ImageState")[0]
    finally:
        if bridge is not None:
            bridge.close()
        target.close()
