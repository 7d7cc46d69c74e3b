"""The demo firmware's update protocol over its UART console.

Frames (host to device) are ``00 COBS(frame) 00`` where frame is
``u8 type, u16 seq, u32 offset, u16 len, payload[len], u32 crc32`` (little
endian; CRC-32 as zlib over everything before it). The device answers each
frame with one text line: ``OTA ACK <seq> key=value...`` or
``OTA NACK <seq> <CODE> <detail>``. See ``firmware_fixtures/PROTOCOL.md``.

How the device reports its boots (the BOOT line, ``info``) is the profile's
boot observer (``boot.py``), not part of the update client.
"""

from __future__ import annotations

import hashlib
import re
import struct
import time
import zlib
from pathlib import Path

import pexpect

from ...console import Console
from ...protocols.update import TransferResult, UpdateClient, UpdateError, image_bytes
from . import cobs

BEGIN, DATA, QUERY, FINISH, ACTIVATE = 1, 2, 3, 4, 5
_STEP = {BEGIN: "BEGIN", DATA: "DATA", QUERY: "QUERY", FINISH: "FINISH", ACTIVATE: "ACTIVATE"}
CHUNK = 512  # the device's maximum payload; a multiple of the 8-byte program unit

_REPLY = re.compile(r"OTA (ACK|NACK) (\d+)([^\r\n]*)\r?\n")
# Codes worth a resend of the same frame: the frame was damaged on the way.
_TRANSIENT = {"E_CRC", "E_FRAME"}


def _kv(text: str) -> dict[str, str]:
    return dict(item.split("=", 1) for item in text.split() if "=" in item)


def encode_frame(ftype: int, seq: int, offset: int = 0, payload: bytes = b"") -> bytes:
    body = struct.pack("<BHIH", ftype, seq & 0xFFFF, offset, len(payload)) + payload
    body += struct.pack("<I", zlib.crc32(body))
    return b"\x00" + cobs.encode(body) + b"\x00"


class DemoUpdateClient(UpdateClient):
    """Speaks the demo protocol over a :class:`~pytest_iot_hil.console.Console`."""

    def __init__(self, console: Console, *, reply_timeout: float = 5.0, max_attempts: int = 5) -> None:
        super().__init__()
        self.console = console
        self.reply_timeout = reply_timeout
        self.max_attempts = max_attempts
        self._seq = 0
        self.retries = 0

    # -- one frame, with retries ---------------------------------------------
    def _exchange(self, ftype: int, offset: int = 0, payload: bytes = b"", *, new_seq: bool = True) -> dict[str, str]:
        if new_seq:
            self._seq = (self._seq + 1) & 0xFFFF
        seq = self._seq
        frame = encode_frame(ftype, seq, offset, payload)
        step = _STEP[ftype]
        where = f" chunk at offset {offset} ({len(payload)} bytes)" if ftype == DATA else ""
        last = "no reply"
        for attempt in range(1, self.max_attempts + 1):
            self.console.send(frame)
            deadline = time.monotonic() + self.reply_timeout
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    last = f"no reply within {self.reply_timeout:.1f} s"
                    break
                index = self.console.expect([_REPLY, pexpect.TIMEOUT], timeout=remaining)
                if index == 1:
                    last = f"no reply within {self.reply_timeout:.1f} s"
                    break
                verdict, rseq, rest = self.console.match.group(1), int(self.console.match.group(2)), self.console.match.group(3)
                if rseq not in (seq, 0):
                    continue  # a late reply to an earlier frame
                if verdict == "ACK":
                    return _kv(rest)
                parts = rest.split(None, 1)
                code = parts[0] if parts else "?"
                detail = parts[1].strip() if len(parts) > 1 else ""
                if code in _TRANSIENT or rseq == 0:
                    last = f"NACK {code} {detail}".strip()
                    break  # resend
                raise UpdateError(
                    f"{step}{where} refused by the device: {code} ({detail})",
                    code=code, offset=offset if ftype == DATA else None, step=step,
                )
            self.retries += 1
        raise UpdateError(
            f"{step}{where} failed after {self.max_attempts} attempts: {last}",
            code=None, offset=offset if ftype == DATA else None, step=step,
        )

    # -- protocol steps --------------------------------------------------------
    def begin(self, image: bytes) -> dict[str, str]:
        return self._exchange(BEGIN, 0, struct.pack("<I", len(image)) + hashlib.sha256(image).digest())

    def query(self) -> dict[str, str]:
        return self._exchange(QUERY)

    def send_chunk(self, image: bytes, offset: int) -> dict[str, str]:
        return self._exchange(DATA, offset, image[offset : offset + CHUNK])

    def transfer(self, image: bytes | str | Path, *, resume: bool = True, stop_at: int | None = None) -> TransferResult:
        """Send ``image``; with ``stop_at`` stop (uncommitted) once that many bytes are sent."""
        data = image_bytes(image)
        started = time.monotonic()
        retries_before = self.retries
        # Output left from before is dropped; replies are matched by seq anyway.
        self.console.discard_pending()
        begun = self.begin(data)
        start = 0
        if resume and int(begun.get("next", "0")) > 0:
            state = self.query()
            resume_at = int(state.get("resume", "0"))
            if resume_at and int(state.get("crc", "0"), 16) == zlib.crc32(data[:resume_at]):
                start = resume_at
        offset = start
        while offset < len(data):
            if stop_at is not None and offset >= stop_at:
                break
            self.send_chunk(data, offset)
            offset = min(offset + CHUNK, len(data))
            self._report(offset, len(data), started)
        return TransferResult(
            size=len(data), resumed_from=start, seconds=time.monotonic() - started,
            retries=self.retries - retries_before, slot=begun.get("slot"),
        )

    def finish(self) -> dict[str, str]:
        return self._exchange(FINISH)

    def activate(self, *, permanent: bool = False) -> dict[str, str]:
        return self._exchange(ACTIVATE, 0, bytes([1 if permanent else 0]))

    # -- text commands ---------------------------------------------------------
    def _command(self, command: str, ok: str, timeout: float | None = None) -> str:
        # Patterns end at the line end: a reply arrives byte by byte.
        self.console.sendline(command)
        index = self.console.expect([ok + r"\r?\n", r"ERR[^\r\n]*\r?\n"], timeout=timeout or self.reply_timeout)
        if index == 1:
            raise UpdateError(f"`{command}` failed: {self.console.after.strip()}", code="ERR", step=command)
        return self.console.after

    def confirm(self) -> str:
        """Confirm the running image; returns the journal seq the device reports."""
        line = self._command("confirm", r"OK confirm seq=(\d+)")
        return self.console.match.group(1) if self.console.match else line

    def mark_bad(self) -> None:
        self._command("mark-bad", r"OK mark-bad")

    def reboot(self) -> None:
        self._command("reboot", r"rebooting")
