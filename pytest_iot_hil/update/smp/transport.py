"""smpclient's ``SMPTransport`` over our console: SMP over console, sharing the UART with text.

smpclient's own serial transport opens the port itself (and cannot open
``socket://`` URLs); an emulator's UART socket takes one client, and the
console already owns it. So this transport writes SMP packets through the
console and gets the device's frame lines from the console's
:class:`~pytest_iot_hil.console.frames.LineDemux`: the test's ``expect()``
keeps every line of text, and the transcript shows one marker per packet.

Packets are framed by smp's own codec (:func:`smp.packet.encode` /
:func:`smp.packet.decode`: length, message, CRC-16/XMODEM, base64 in lines of
at most 127 bytes).
"""

from __future__ import annotations

import asyncio
import collections

from smp import packet as smppacket
from smp.exceptions import SMPBadCRC, SMPBadContinueDelimiter, SMPBadStartDelimiter

from ...console.frames import START, LineDemux

#: smp's framing: 2-byte length and 2-byte CRC-16 share the device's reassembly buffer.
FRAME_OVERHEAD = 4
#: Before the device told its buffer size (MCUmgr params), the message size smpclient assumes
#: for one 128-byte line (see ``smpclient.transport.serial.encoded.Auto``).
DEFAULT_MAX_UNENCODED = 169
LINE_LENGTH = 128


class ConsoleSMPTransport:
    """Implements smpclient's ``SMPTransport`` protocol on a :class:`~pytest_iot_hil.console.Console`."""

    _smp_server_transport_buffer_size: int | None = None

    def __init__(self, console, *, poll_s: float = 0.002) -> None:
        self.console = console
        self.poll_s = poll_s
        self._lines: collections.deque[bytes] = collections.deque()
        self._packets: collections.deque[bytes] = collections.deque()
        self._decoder = None
        self.dropped = 0   # frames that did not decode (bad CRC, torn): the request times out, as on a device
        #: Bytes put on the wire for SMP, for throughput figures.
        self.bytes_sent = 0
        self.demux = LineDemux(self._lines.append)

    # -- the console side ------------------------------------------------------------
    def attach(self) -> None:
        """Split SMP frames off the console's input from now on."""
        self.console.demux = self.demux

    def detach(self) -> None:
        if self.console.demux is self.demux:
            self.console.demux = None

    def _take_lines(self) -> None:
        while self._lines:
            line = self._lines.popleft()
            if line.startswith(START):
                self._decoder = smppacket.decode()
                next(self._decoder)
            if self._decoder is None:
                self.dropped += 1  # a continuation without its start line
                continue
            try:
                self._decoder.send(line)
            except StopIteration as done:
                self._packets.append(bytes(done.value))
                self._decoder = None
            except (SMPBadCRC, SMPBadStartDelimiter, SMPBadContinueDelimiter, ValueError):
                self.dropped += 1
                self._decoder = None

    # -- SMPTransport ----------------------------------------------------------------------
    async def connect(self, address: str, timeout_s: float) -> None:
        self.attach()

    async def disconnect(self) -> None:
        self.detach()

    async def send(self, data: bytes) -> None:
        if len(data) > self.max_unencoded_size:
            raise ValueError(f"an SMP message of {len(data)} bytes exceeds the device's {self.max_unencoded_size}")
        wire = b"".join(smppacket.encode(data, line_length=LINE_LENGTH))
        self.bytes_sent += len(wire)
        self.console.send(wire)

    async def receive(self) -> bytes:
        while True:
            self._take_lines()
            if self._packets:
                return self._packets.popleft()
            # The console reads for us; its text stays for the test's expect().
            self.console.pump(self.poll_s)
            await asyncio.sleep(0)

    async def send_and_receive(self, data: bytes) -> bytes:
        self._take_lines()
        self._packets.clear()  # late answers to an earlier, timed-out request
        await self.send(data)
        return await self.receive()

    def initialize(self, smp_server_transport_buffer_size: int) -> None:
        self._smp_server_transport_buffer_size = smp_server_transport_buffer_size

    @property
    def mtu(self) -> int:
        return (self._smp_server_transport_buffer_size or DEFAULT_MAX_UNENCODED + FRAME_OVERHEAD) * 4 // 3 + 64

    @property
    def max_unencoded_size(self) -> int:
        if self._smp_server_transport_buffer_size:
            return self._smp_server_transport_buffer_size - FRAME_OVERHEAD
        return DEFAULT_MAX_UNENCODED
