"""Frames that share the console UART with text: split them off as the bytes arrive.

MCUmgr's "SMP over console" (Zephyr ``serial_util.c``; smp-facts) sends each
packet as base64 lines that start with two marker bytes: ``06 09`` for the
first line of a packet, ``04 14`` for its continuations, each ending in
``\\n``. Anything else is console text. :class:`LineDemux` sits in the
console's read path: frame lines go to ``sink`` (the SMP transport), the
text goes on to ``expect()`` and the transcript, and the transcript marks
each packet with one short line instead of its base64.
"""

from __future__ import annotations

from typing import Callable

START = b"\x06\x09"
CONTINUE = b"\x04\x14"


class LineDemux:
    """Splits a byte stream into frame lines (to ``sink``) and text (returned by :meth:`feed`)."""

    def __init__(self, sink: Callable[[bytes], None], *, label: str = "SMP") -> None:
        self.sink = sink
        self.label = label
        self._at_line_start = True
        self._pending = b""        # a first marker byte at a line start, waiting for the second
        self._frame: bytearray | None = None
        self.frames = 0

    def reset(self) -> None:
        """Forget a frame line cut off by a lost link (a power cut): the next bytes start a line."""
        self._at_line_start = True
        self._pending = b""
        self._frame = None

    def feed(self, data: bytes) -> bytes:
        """Take ``data`` as it arrived; return the console text in it (with a marker per packet)."""
        if self._frame is None and not self._pending and START[0] not in data and CONTINUE[0] not in data:
            if data:   # plain text (most reads): no byte can start a frame line
                self._at_line_start = data[-1] in (0x0A, 0x0D)
            return data
        out = bytearray()
        for byte in data:
            if self._frame is not None:
                self._frame.append(byte)
                if byte == 0x0A:
                    line, self._frame = bytes(self._frame), None
                    self._at_line_start = True
                    self.sink(line)
                continue
            if self._pending:
                pair = self._pending + bytes([byte])
                self._pending = b""
                if pair in (START, CONTINUE):
                    self._frame = bytearray(pair)
                    if pair == START:
                        self.frames += 1
                        out += f"[{self.label} frame]\n".encode()
                    continue
                out += pair
                self._at_line_start = byte in (0x0A, 0x0D)
                continue
            if self._at_line_start and byte in (START[0], CONTINUE[0]):
                self._pending = bytes([byte])
                continue
            out.append(byte)
            self._at_line_start = byte in (0x0A, 0x0D)
        return bytes(out)
