"""The console on real serial ports, without hardware: ptys, and RFC 2217 on loopback with pyserial's own server.

* a USB serial port that vanishes across a power cycle (the pty is closed and
  made again at the same path) is reopened, reads go on, and the transcript
  records the gap with its length;
* ``rfc2217://`` through pyserial's real RFC 2217 server code
  (``serial.rfc2217.PortManager``), as ser2net or pyserial's
  ``rfc2217_server.py`` serve a bench's ports.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time

import pexpect
import pytest
import serial
import serial.rfc2217

from pytest_iot_hil.console import open_console
from pytest_iot_hil.console.expect import ConsoleClosed
from pytest_iot_hil.errors import ConsoleError


class UsbPort:
    """A pty standing in for /dev/ttyACM0: a stable path (a symlink) to a pty that can vanish and come back."""

    def __init__(self, directory) -> None:
        self.path = directory / "ttyACM0"
        self.master = None
        self.plug()

    def plug(self) -> None:
        self.master, slave = os.openpty()
        self._slave = slave
        tmp = self.path.with_suffix(".new")
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(os.ttyname(slave))
        tmp.replace(self.path)

    def unplug(self) -> None:
        self.path.unlink()
        os.close(self.master)
        os.close(self._slave)
        self.master = None

    def say(self, text: bytes) -> None:
        os.write(self.master, text)

    def close(self) -> None:
        if self.master is not None:
            self.unplug()


@pytest.fixture
def usb(tmp_path):
    port = UsbPort(tmp_path)
    yield port
    port.close()


def test_a_port_that_vanishes_and_comes_back_is_reopened_and_the_gap_recorded(usb):
    con = open_console(str(usb.path), reopen_s=5, timeout=5)
    try:
        usb.say(b"app v1.0.0 slot=A\r\n")
        con.expect("slot=A")
        usb.unplug()

        def replug():
            time.sleep(0.4)
            usb.plug()
            time.sleep(0.2)
            usb.say(b"BOOT slot=A version=1.0.0\r\napp v1.0.0 slot=A\r\n")

        threading.Thread(target=replug, daemon=True).start()
        con.expect(r"app v1\.0\.0 slot=A", timeout=5)
        assert len(con.gaps) == 1 and 0.3 < con.gaps[0] < 3
        text = con.transcript.decode()
        assert re.search(r"\[.*ttyACM0: the port was gone for \d\.\d\d s .*; reopened\]", text), text
        assert text.index("reopened]") < text.index("BOOT slot=A")
        assert "reopened" not in con.before   # the note is for people, not for expect()
    finally:
        con.close()
        con.port.close()


def test_a_port_that_stays_away_closes_the_console_after_its_grace(usb):
    con = open_console(str(usb.path), reopen_s=0.3, timeout=2)
    try:
        usb.unplug()
        started = time.monotonic()
        with pytest.raises(ConsoleClosed, match="link closed before a match"):
            con.expect("never")
        assert time.monotonic() - started < 2
        assert con.gaps == []
    finally:
        con.close()


def test_without_reopen_a_vanished_port_is_a_closed_link(usb):
    con = open_console(str(usb.path), timeout=2)
    try:
        usb.unplug()
        with pytest.raises(ConsoleClosed):
            con.expect("never")
    finally:
        con.close()


def test_a_port_that_is_not_there_is_one_line(tmp_path):
    with pytest.raises(ConsoleError, match=r"cannot open console .*ttyACM9"):
        open_console(str(tmp_path / "ttyACM9"))


def _rfc2217_server(device: serial.Serial):
    """pyserial's own RFC 2217 server (the code of its rfc2217_server.py example) on a free loopback port."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    stop = threading.Event()

    def serve():
        client, _ = listener.accept()

        class Connection:   # what PortManager writes its telnet negotiation to (as in the example server)
            def write(self, data: bytes) -> None:
                client.sendall(data)

        manager = serial.rfc2217.PortManager(device, Connection())

        def to_client():
            while not stop.is_set():
                data = device.read(device.in_waiting or 1)
                if data:
                    client.sendall(b"".join(manager.escape(data)))

        threading.Thread(target=to_client, daemon=True).start()
        client.settimeout(0.1)
        while not stop.is_set():
            try:
                data = client.recv(1024)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                break
            device.write(b"".join(manager.filter(data)))
        client.close()

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], stop, listener


def test_rfc2217_on_loopback_with_pyserial_s_server():
    # The served "board" is pyserial's loop:// port (a pty has no modem lines for the server to report):
    # what is written to it comes back out, as a board's echo would.
    device = serial.serial_for_url("loop://", timeout=0.1)
    port, stop, listener = _rfc2217_server(device)
    con = open_console(f"rfc2217://127.0.0.1:{port}", timeout=5)
    try:
        device.write(b"app v2.0.0 slot=B\r\n")
        con.expect(r"app v2\.0\.0 slot=B")
        con.sendline("info")
        con.expect("info")   # through the server to the port, and back
        assert con.port.baudrate == 115200
    finally:
        stop.set()
        con.close()
        con.port.close()
        listener.close()
        device.close()
