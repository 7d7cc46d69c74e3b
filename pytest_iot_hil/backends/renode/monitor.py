"""A client for Renode's monitor over TCP (``renode --port N``), written from Renode's documented protocol.

What the monitor does (Renode's ``SocketServerProvider.cs``, ``Monitor.cs``):

* On connect it sends telnet negotiation (``FF FD 00 FF FD 1F FF FB 01 FF
  FB 03 FF FC 22``), a banner, then the prompt. It doubles 0xFF in its
  output; IAC sequences are consumed here, never shown as text.
* Input is echoed. A command is done when a prompt follows the echo:
  ``(monitor) `` before a machine exists, ``(<name>) `` after ``mach create``.
* There is no status code: a failure is text in the same stream, one of
  :data:`ERROR_MARKERS`. A command that fails raises :class:`MonitorError`
  with Renode's own words.
* Several commands on one line, joined by ``; ``, run in order, and the
  first failure skips the rest of the line (:meth:`Monitor.batch`).
"""

from __future__ import annotations

import math
import re
import socket
import threading
import time
from typing import Callable, Sequence

from ...errors import TargetError

IAC, DONT, DO, WONT, WILL, SB, SE = 0xFF, 0xFE, 0xFD, 0xFC, 0xFB, 0xFA, 0xF0
PROMPT = re.compile(rb"\(([^)\r\n]*)\) $")
#: Every way the monitor says a command failed (there is no status code).
ERROR_MARKERS = (
    "There was an error executing command",
    "No such command or device:",
    "Could not tokenize here:",
    "Could not find file",
    "No such variable:",
    "Failed to download",
    "Errors during compilation or loading:",
)


class MonitorError(TargetError):
    """Renode refused a command; ``text`` is what it said."""

    def __init__(self, command: str, text: str) -> None:
        first = next((line.strip() for line in text.splitlines() if any(m in line for m in ERROR_MARKERS)),
                     text.strip().splitlines()[0] if text.strip() else "")
        super().__init__(f"Renode refused `{command}`: {first}")
        self.command = command
        self.text = text


class MonitorTimeout(TargetError):
    pass


def format_time(seconds: float) -> str:
    """A time for ``emulation RunFor``: quoted, nine decimals, a leading digit.

    Renode parses time strings with an unanchored pattern: ``"100ms"`` is read
    as 100 s, ``"1e-05"`` as 1 s and ``".5"`` as 5 s. Only this form is safe.
    """
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"a virtual time must be a finite number of seconds, 0 or more, not {seconds!r}")
    return f'"{seconds:.9f}"'


def parse_int(output: str) -> int:
    """A value the monitor printed (``0x0000ABCD``)."""
    match = re.search(r"0x[0-9A-Fa-f]+", output)
    if match is None:
        raise TargetError(f"Renode printed no number: {output.strip()[:80]!r}")
    return int(match.group(0), 16)


def parse_bytes(output: str) -> bytes:
    """A ``byte[]`` the monitor printed: ``[`` then ``0x00, 0x01, ...`` ten per line, then ``]``."""
    if "[" not in output:
        raise TargetError(f"Renode printed no byte array: {output.strip()[:80]!r}")
    body = output[output.index("[") + 1 : output.rindex("]") if "]" in output else len(output)]
    return bytes(int(v, 16) for v in re.findall(r"0x([0-9A-Fa-f]{1,2})\b", body))


class _Telnet:
    """Removes telnet commands from the stream and un-doubles 0xFF; keeps a partial sequence for the next chunk."""

    def __init__(self) -> None:
        self._pending = b""
        self._in_sb = False

    def feed(self, data: bytes) -> bytes:
        data = self._pending + data
        self._pending = b""
        out = bytearray()
        i = 0
        while i < len(data):
            byte = data[i]
            if self._in_sb:
                if byte == IAC and i + 1 < len(data) and data[i + 1] == SE:
                    self._in_sb = False
                    i += 2
                    continue
                if byte == IAC and i + 1 == len(data):
                    self._pending = data[i:]
                    break
                i += 1
                continue
            if byte != IAC:
                out.append(byte)
                i += 1
                continue
            if i + 1 >= len(data):
                self._pending = data[i:]
                break
            command = data[i + 1]
            if command == IAC:
                out.append(IAC)
                i += 2
            elif command in (DO, DONT, WILL, WONT):
                if i + 2 >= len(data):
                    self._pending = data[i:]
                    break
                i += 3
            elif command == SB:
                self._in_sb = True
                i += 2
            else:
                i += 2  # a two-byte command (NOP, GA, ...)
        return bytes(out)


class Monitor:
    """One connection to a Renode monitor."""

    def __init__(self, port: int, *, host: str = "127.0.0.1", timeout: float = 30.0, connect_timeout: float = 90.0,
                 alive: Callable[[], bool] | None = None, what: str = "Renode's monitor") -> None:
        self.timeout = timeout
        self._what = what
        self._telnet = _Telnet()
        self._buf = b""
        self.prompt = ""
        #: Everything the monitor said, for a failure's message.
        self.transcript = bytearray()
        deadline = time.monotonic() + connect_timeout
        while True:
            try:
                self._sock = socket.create_connection((host, port), timeout=min(2.0, connect_timeout))
                break
            except OSError as exc:
                if alive is not None and not alive():
                    raise TargetError(f"Renode exited before its monitor listened on port {port}") from None
                if time.monotonic() > deadline:
                    raise TargetError(f"{what} did not listen on {host}:{port} within {connect_timeout:g} s "
                                      f"({exc.strerror or exc})") from None
                time.sleep(0.1)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        #: One command at a time: a flash watch polls from its own thread.
        self._lock = threading.Lock()
        self.banner = self._read_to_prompt(deadline - time.monotonic() + timeout).decode(errors="replace")

    def _recv(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise MonitorTimeout(f"{self._what} did not answer within the time allowed; last said: "
                                 f"{bytes(self.transcript[-200:]).decode(errors='replace')!r}")
        self._sock.settimeout(remaining)
        try:
            chunk = self._sock.recv(65536)
        except socket.timeout:
            raise MonitorTimeout(f"{self._what} did not answer within the time allowed; last said: "
                                 f"{bytes(self.transcript[-200:]).decode(errors='replace')!r}") from None
        except OSError as exc:
            raise TargetError(f"lost the connection to {self._what}: {exc}") from None
        if not chunk:
            raise TargetError(f"{self._what} closed the connection (did Renode exit?)")
        text = self._telnet.feed(chunk)
        self.transcript += text
        self._buf += text

    def _read_to_prompt(self, seconds: float) -> bytes:
        deadline = time.monotonic() + seconds
        while True:
            match = PROMPT.search(self._buf)
            if match is not None:
                out, self._buf = self._buf[: match.start()], self._buf[match.end():]
                self.prompt = match.group(1).decode(errors="replace")
                return out
            self._recv(deadline)

    def execute(self, command: str, *, timeout: float | None = None) -> str:
        """Run one command line; return what it printed (its echo removed). Raises :class:`MonitorError`."""
        if "\n" in command or "\r" in command:
            raise ValueError(f"a monitor command is one line: {command!r}")
        with self._lock:
            try:
                self._sock.sendall(command.encode() + b"\n")
            except OSError as exc:
                raise TargetError(f"lost the connection to {self._what}: {exc}") from None
            raw = self._read_to_prompt(self.timeout if timeout is None else timeout).decode(errors="replace")
        # The echo of the command comes first, then its output.
        text = raw.lstrip("\r\n")
        if text.startswith(command):
            text = text[len(command):]
        text = text.strip("\r\n")
        if any(marker in text for marker in ERROR_MARKERS):
            raise MonitorError(command, text)
        return text

    def batch(self, commands: Sequence[str], *, timeout: float | None = None) -> str:
        """Run ``commands`` as one line (``a; b; c``): one round trip. Renode stops the line at the first failure."""
        if not commands:
            return ""
        return self.execute("; ".join(commands), timeout=timeout)

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass
