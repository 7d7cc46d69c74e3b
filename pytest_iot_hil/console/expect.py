"""An expect-style console over a pyserial port.

Users already know pexpect, so :class:`Console` *is* a pexpect spawn
(``pexpect.spawnbase.SpawnBase``): ``expect`` with a pattern list returning the
index, ``expect_exact``, ``sendline``, ``before``/``after``/``match``, and
``pexpect.TIMEOUT``/``pexpect.EOF`` usable as patterns.  What it adds:

* the port comes from pyserial, so ``/dev/ttyACM0``, ``socket://``,
  ``rfc2217://``, ``loop://`` and ptys all work the same;
* every byte received is kept raw (the transcript) and written to a log file;
* a timeout raises :class:`ConsoleTimeout` (a ``pexpect.TIMEOUT``) whose
  message shows what was expected and the last 40 lines received;
* the port can be swapped under a live console (emulator power cycles).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any, BinaryIO, Callable

import pexpect
import serial
from pexpect.spawnbase import SpawnBase

from ..errors import ConsoleError
from .transcript import DEFAULT_LIMIT, BoundedText, Transcript

TAIL_LINES = 40


class ConsoleTimeout(pexpect.TIMEOUT, ConsoleError):
    """No pattern matched in time; the message shows the last lines received."""


class ConsoleClosed(pexpect.EOF, ConsoleError):
    """The console link closed (the emulator exited, the board was unplugged)."""


def _printable(text: str) -> str:
    # Show control characters visibly instead of letting them drive the terminal.
    return re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", lambda m: f"\\x{ord(m.group()):02x}", text)


def _describe(pattern: Any) -> str:
    if pattern is pexpect.TIMEOUT:
        return "TIMEOUT"
    if pattern is pexpect.EOF:
        return "EOF"
    if isinstance(pattern, re.Pattern):
        return repr(pattern.pattern)
    return repr(pattern)


class Console(SpawnBase):
    """pexpect over a pyserial port, with a transcript."""


    def __init__(
        self,
        port: Any,
        *,
        name: str = "console",
        timeout: float = 10.0,
        log_path: Path | None = None,
        encoding: str = "utf-8",
        transcript_limit: int | None = DEFAULT_LIMIT,
    ) -> None:
        self.port = port
        super().__init__(
            timeout=timeout,
            maxread=4096,
            searchwindowsize=None,
            logfile=None,
            encoding=encoding,
            codec_errors="replace",
        )
        # Bounded match buffers: a flooding firmware must not grow memory (see BoundedText).
        self.buffer_type = BoundedText
        self._buffer, self._before = BoundedText(), BoundedText()
        self.name = name
        self.linesep = "\n"
        self._transcript = Transcript(transcript_limit)
        self._taps: list[Callable[[bytes], None]] = []
        #: Called after every send; a backend may need a nudge to deliver input.
        self.after_send: Callable[[], None] | None = None
        #: The device profile's :class:`~pytest_iot_hil.protocols.boot.BootObserver` for what
        #: this console shows (set by the fixtures); the boot assertions read boots through it.
        self.boot_observer: Any = None
        #: Splits frames that share the link (SMP over console) from the text: see :mod:`.frames`.
        self.demux: Any = None
        #: Asked when an expect fails: why the other end stopped (``Target.diagnose``), or None.
        self.diagnose: Callable[[], str | None] | None = None
        self._on_close: Callable[[], None] | None = None
        self._log_file: BinaryIO | None = open(log_path, "ab") if log_path else None
        self.log_path = log_path
        #: For a port that can vanish and come back (USB serial across a power cycle):
        #: ``reopen()`` returns the port again or raises; tried for up to ``reopen_s``.
        self.reopen: Callable[[], Any] | None = None
        self.reopen_s = 0.0
        #: How long the port was gone, for every gap the console reopened across.
        self.gaps: list[float] = []

    # -- the link ------------------------------------------------------------
    def reattach(self, port: Any) -> None:
        """Continue on a new port (the old one is owned and closed by its target)."""
        self.port = port
        self.flag_eof = False
        if self.demux is not None:
            self.demux.reset()   # a new link starts at a line start: a frame cut off by the old one is gone

    def close(self) -> None:
        on_close, self._on_close = self._on_close, None
        if on_close is not None:
            on_close()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None

    @property
    def transcript(self) -> bytes:
        """Every byte received so far, unmodified, up to ``transcript_limit``: beyond it the
        first and the last half are kept and one line says how many bytes were dropped
        between them (the log file has them all)."""
        return bytes(self._transcript)

    def transcript_since(self, mark: int) -> bytes:
        return self._transcript.since(mark)

    @property
    def mark(self) -> int:
        """A position in the transcript (bytes ever received), for :meth:`transcript_since`."""
        return self._transcript.total

    def add_tap(self, tap: Callable[[bytes], None]) -> None:
        """Call ``tap(data)`` with every chunk received, as it arrives.

        Power-cut triggers watch the output this way while the test is busy
        elsewhere (e.g. inside an update). A tap may raise to abort the read.
        """
        self._taps.append(tap)

    def remove_tap(self, tap: Callable[[bytes], None]) -> None:
        if tap in self._taps:
            self._taps.remove(tap)

    def _record(self, data: bytes) -> bytes:
        """Log the raw bytes; return the console text in them (frames split off by the demux)."""
        if self._log_file is not None:
            self._log_file.write(data)
            self._log_file.flush()
        if self.demux is not None:
            data = self.demux.feed(data)
        self._transcript.append(data)
        for tap in list(self._taps):
            tap(data)
        return data

    # -- what pexpect calls ----------------------------------------------------
    def read_nonblocking(self, size: int = 1, timeout: float | None = -1) -> str:
        if timeout == -1:
            timeout = self.timeout
        while True:
            port = self.port
            if port is None:
                self.flag_eof = True
                raise ConsoleClosed(f"{self.name}: no console link (target powered off?)")
            try:
                port.timeout = timeout
                data = port.read(1)
                if data:
                    port.timeout = 0
                    data += port.read(size - 1) if size > 1 else b""
                break
            except (serial.SerialException, OSError, AttributeError, TypeError) as exc:
                if self.reopen is not None and self._reopened(exc):
                    continue   # read on from the port that came back
                # pyserial's socket handler drops its socket to None when another
                # thread closes the port (a power cut): that is a closed link too.
                self.flag_eof = True
                raise ConsoleClosed(f"{self.name}: console link closed: {exc or type(exc).__name__}") from None
        if not data:
            raise pexpect.TIMEOUT("Timeout exceeded.")
        data = self._record(data)
        text = self._decoder.decode(data, final=False)
        self._log(text, "read")  # pexpect's own logfile/logfile_read, if the user set one
        return text

    def _reopened(self, exc: BaseException) -> bool:
        """The port vanished: wait up to ``reopen_s`` for it to come back; note the gap in the transcript."""
        gone = time.monotonic()
        try:
            self.port.close()
        except Exception:
            pass
        while time.monotonic() - gone < self.reopen_s:
            try:
                port = self.reopen()
            except (serial.SerialException, OSError, ValueError):
                time.sleep(0.05)
                continue
            seconds = time.monotonic() - gone
            self.gaps.append(seconds)
            note = f"\n[{self.name}: the port was gone for {seconds:.2f} s ({exc}); reopened]\n".encode()
            if self._log_file is not None:
                self._log_file.write(note)
                self._log_file.flush()
            self._transcript.append(note)   # the transcript shows the gap; expect() never sees it
            self.reattach(port)
            return True
        return False

    def send(self, s: str | bytes) -> int:
        if isinstance(s, bytes):
            data = s
        else:
            s = self._coerce_send_string(s)
            self._log(s, "send")
            data = self._encoder.encode(s, final=False)
        try:
            self.port.write(data)
            flush = getattr(self.port, "flush", None)
            if flush:
                flush()
        except (serial.SerialException, OSError, AttributeError, TypeError) as exc:
            raise ConsoleClosed(f"{self.name}: cannot send, console link closed: {exc or type(exc).__name__}") from None
        if self.after_send is not None:
            self.after_send()
        return len(data)

    def sendline(self, s: str | bytes = "") -> int:
        if isinstance(s, bytes):
            return self.send(s + self.linesep.encode())
        return self.send(s + self.linesep)

    def write(self, s: str | bytes) -> None:
        self.send(s)

    def pump(self, timeout: float = 0.0) -> None:
        """Read what arrives within ``timeout`` and keep its text for the next ``expect``.

        For a protocol client sharing the link (its frames go to the demux's
        sink): reading for it must not take text away from the test.
        """
        try:
            text = self.read_nonblocking(4096, timeout=timeout)
        except pexpect.TIMEOUT:
            return
        if text:
            for kept in (self._buffer, self._before):  # pexpect keeps both in step
                kept.seek(0, 2)
                kept.write(text)

    def discard_pending(self) -> bytes:
        """Forget what has arrived but was not matched, without waiting for more.

        Reads what is waiting on the link and empties pexpect's buffer, so the
        next ``expect`` only sees new output. Everything stays in the
        transcript; the dropped bytes are returned.
        """
        before = self.mark
        try:
            while True:
                self.read_nonblocking(4096, timeout=0)
        except (pexpect.TIMEOUT, pexpect.EOF):
            pass
        self.buffer = ""
        self.before = ""
        return self.transcript_since(before)

    # -- better failures -------------------------------------------------------
    def tail(self, lines: int = TAIL_LINES) -> str:
        # Only the end matters: a long-lived console may hold megabytes.
        text = self._transcript.last(256 * lines).decode("utf-8", errors="replace")
        return "\n".join(_printable(line) for line in text.splitlines()[-lines:])

    def _explain(self, patterns: Any, timeout: float | None, started: float, *, closed: bool = False) -> str:
        if not isinstance(patterns, list):
            patterns = [patterns]
        waited = time.monotonic() - started
        what = ", ".join(_describe(p) for p in patterns)
        tail = self.tail()
        received = f"last {TAIL_LINES} lines received:\n{tail}" if tail else "nothing was received at all"
        message = f"{self.name}: no match for [{what}] after {waited:.1f} s; {received}"
        death = None
        if self.diagnose is not None:
            # A closed link: the emulator's socket can close a moment before its exit is reaped.
            for _ in range(10 if closed else 1):
                death = self.diagnose()
                if death or not closed:
                    break
                time.sleep(0.05)
        return f"{message}\n{death}" if death else message

    def _explained(self, call, patterns: Any, timeout: Any, **kw: Any) -> Any:
        started = time.monotonic()
        try:
            return call(patterns, timeout=timeout, **kw)
        except ConsoleError:
            raise
        except pexpect.TIMEOUT:
            raise ConsoleTimeout(self._explain(patterns, timeout, started)) from None
        except pexpect.EOF:
            message = self._explain(patterns, timeout, started, closed=True).replace("no match", "link closed before a match")
            raise ConsoleClosed(message) from None

    def expect(self, pattern: Any, timeout: float | None = -1, searchwindowsize: int | None = -1, async_: bool = False, **kw: Any) -> Any:
        return self._explained(super().expect, pattern, timeout, searchwindowsize=searchwindowsize, async_=async_, **kw)

    def expect_exact(self, pattern_list: Any, timeout: float | None = -1, searchwindowsize: int | None = -1, async_: bool = False, **kw: Any) -> Any:
        return self._explained(super().expect_exact, pattern_list, timeout, searchwindowsize=searchwindowsize, async_=async_, **kw)

    def __repr__(self) -> str:
        return f"<Console port={getattr(self.port, 'port', self.port)!r}>"


def open_console(url: str, *, baudrate: int = 115200, reopen_s: float = 0.0, **kwargs: Any) -> Console:
    """A console on any pyserial URL or device path (``/dev/ttyACM0``, ``socket://h:p``, ``rfc2217://h:p``).

    With ``reopen_s`` > 0, a port that disappears (a board powered from USB
    takes its serial port with it across a power cycle) is reopened when it
    comes back within that many seconds: reads go on, and the transcript
    records the gap and its length.
    """
    def connect():
        return serial.serial_for_url(url, baudrate=baudrate, timeout=0)

    try:
        port = connect()
    except (serial.SerialException, ValueError) as exc:
        raise ConsoleError(f"cannot open console {url!r}: {exc}") from None
    kwargs.setdefault("name", url)
    con = Console(port, **kwargs)
    if reopen_s > 0:
        con.reopen, con.reopen_s = connect, float(reopen_s)
    return con


def console_for(target: Any, *, wrap: Callable[[Any], Any] | None = None, **kwargs: Any) -> Console:
    """A console on ``target``'s UART that follows it across power cycles.

    The target owns the port; the console re-attaches whenever the target
    re-makes the link, and nudges the backend after each send (see
    ``Target.after_console_send``). Call :meth:`Console.close` when done: it
    also stops following the target. ``wrap(port)`` may put something between
    the console and every port it gets (a fleet's lossy link).
    """
    kwargs.setdefault("name", f"{target.name} console")
    wrap = wrap or (lambda port: port)
    con = Console(wrap(target.console_port()), **kwargs)
    con.after_send = target.after_console_send
    con.diagnose = target.diagnose
    if target.console_reopen_s > 0:
        # A board's USB serial port that goes with its power comes back as a new port.
        con.reopen, con.reopen_s = target.reopen_console, target.console_reopen_s

    def reattach() -> None:
        con.reattach(wrap(target.console_port()) if target.powered else None)

    target.on_console_reconnect(reattach)
    con._on_close = lambda: target.remove_console_listener(reattach)
    return con
