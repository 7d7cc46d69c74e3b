"""Host tests of the firmware's SMP-over-console code, against the real `smp` library.

``firmware_fixtures/src/core/{base64,crc16,cbor,smp,smp_os}.c`` are compiled
with the host compiler (AddressSanitizer and UBSan where available) into
``tests/firmware/host/test_smp.c``. Its ``serve`` mode is the device's receive
path: it reads a raw UART stream and prints the console text it passed on,
each request it decoded and the wire bytes of its answer. Requests are made
and answers judged with `smp`'s own message models and packet codec (what
smpclient uses), so both directions are checked against an implementation we
did not write. The demo app does not link this code yet.
"""

from __future__ import annotations

import base64
import random
import subprocess
from pathlib import Path

import pytest
from smp import header as smphdr
from smp import os_management as smpos
from smp import packet as smppacket

from hostbuild import CORE, HOST, compile_host

SOURCES = ["base64", "cbor", "crc16", "smp", "smp_os"]


@pytest.fixture(scope="module")
def smp_host(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("smphost") / "test_smp"
    return compile_host(out, [CORE / f"{s}.c" for s in SOURCES] + [HOST / "test_smp.c"], probe=["selftest"])


def serve(binary: Path, stream: bytes) -> dict:
    res = subprocess.run([str(binary), "serve"], input=stream, capture_output=True, timeout=60)
    assert res.returncode == 0, res.stderr.decode(errors="replace")
    out = {"TEXT": [], "REQ": [], "OUT": [], "DROPPED": None}
    for line in res.stdout.decode().splitlines():
        kind, _, value = line.partition(" ")
        if kind == "DROPPED":
            out["DROPPED"] = int(value)
        else:
            out[kind].append(bytes.fromhex(value))
    return out


def wire(request) -> bytes:
    return b"".join(smppacket.encode(request.BYTES, line_length=128))


def answers(out: dict) -> list[bytes]:
    """The response messages in the OUT lines, decoded with smp's codec (CRC checked)."""
    messages, decoder = [], None
    for line in out["OUT"]:
        assert len(line) <= 127 and line.endswith(b"\n"), line
        if line.startswith(smppacket.START_DELIMITER):
            decoder = smppacket.decode()
            next(decoder)
        try:
            decoder.send(line)
        except StopIteration as done:
            messages.append(bytes(done.value))
    return messages


def test_selftest_vectors_and_malformed_inputs(smp_host):
    res = subprocess.run([str(smp_host), "selftest"], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.split("\n")[:3] == ["ok - base64", "ok - crc16", "ok - cbor"]


def test_echo_and_params_between_console_text(smp_host):
    echo = smpos.EchoWriteRequest(d="hello from the host")
    params = smpos.MCUMgrParametersReadRequest()
    out = serve(smp_host, b"info\r\n" + wire(echo) + b"version\r\n" + wire(params))
    assert out["REQ"] == [echo.BYTES, params.BYTES]
    assert b"".join(out["TEXT"]) == b"info\r\nversion\r\n"
    rsp_echo, rsp_params = answers(out)
    got = smpos.EchoWriteResponse.loads(rsp_echo)
    assert got.r == "hello from the host" and got.header.sequence == echo.header.sequence
    assert got.header.op == smphdr.OP.WRITE_RSP and got.header.version == echo.header.version
    p = smpos.MCUMgrParametersReadResponse.loads(rsp_params)
    assert (p.buf_size, p.buf_count) == (1024, 1) and p.header.op == smphdr.OP.READ_RSP
    assert out["DROPPED"] == 0


def test_a_message_filling_the_buffer_spans_many_lines_both_ways(smp_host):
    echo = smpos.EchoWriteRequest(d="x" * 990)   # 1020-byte packet: the largest the 1024-byte buffer takes
    stream = wire(echo)
    assert stream.count(b"\n") > 10
    out = serve(smp_host, stream)
    assert out["REQ"] == [echo.BYTES]
    assert smpos.EchoWriteResponse.loads(answers(out)[0]).r == "x" * 990
    assert len(out["OUT"]) > 10


def test_an_unknown_command_is_answered_enotsup_with_its_own_header(smp_host):
    msg = smphdr.Header(op=smphdr.OP.READ, version=smphdr.Version.V2, flags=smphdr.Flag(0), length=1,
                        group_id=63, sequence=77, command_id=9).BYTES + b"\xa0"
    out = serve(smp_host, b"".join(smppacket.encode(msg, line_length=128)))
    rsp = answers(out)[0]
    head = smphdr.Header.loads(rsp[:8])
    assert (int(head.op), int(head.group_id), head.sequence, int(head.command_id)) == (1, 63, 77, 9)
    assert rsp[8:] == b"\xa1brc\x08"   # {"rc": 8}


def test_unknown_keys_are_ignored_and_a_missing_one_is_einval(smp_host):
    import cbor2

    def echo_with(body: dict, seq: int) -> bytes:
        data = cbor2.dumps(body)
        msg = smphdr.Header(op=smphdr.OP.WRITE, version=smphdr.Version.V2, flags=smphdr.Flag(0), length=len(data),
                            group_id=0, sequence=seq, command_id=0).BYTES + data
        return b"".join(smppacket.encode(msg, line_length=128))

    out = serve(smp_host, echo_with({"d": "hi", "extra": 5, "flag": True, "n": None}, 1) + echo_with({"x": 1}, 2))
    first, second = answers(out)
    assert cbor2.loads(first[8:]) == {"r": "hi"}
    assert cbor2.loads(second[8:]) == {"rc": 3, "rsn": 'no "d"'}


def _flip_in_base64(stream: bytes) -> bytes:
    """Change one base64 character of the first line's payload: still base64, wrong CRC."""
    i = stream.index(b"\n") - 6
    swap = b"A" if stream[i:i + 1] != b"A" else b"B"
    return stream[:i] + swap + stream[i + 1:]


@pytest.mark.parametrize("broken, why", [
    (lambda s: _flip_in_base64(s), "bad CRC"),
    (lambda s: s[: s.index(b"\n") - 1] + s[s.index(b"\n"):], "truncated base64 (not a multiple of 4)"),
    (lambda s: s.replace(b"\n", b"!\n", 1), "a character outside base64"),
    (lambda s: s[: s.index(b"\n") + 1], "a packet cut short (only its first line)"),
    (lambda s: b"\x04\x14" + s[2:], "a continuation without a start"),
    (lambda s: b"\x06\x09" + base64.b64encode(b"\x07\xd0" + b"\x00" * 30) + b"\n", "a length past the buffer"),
    (lambda s: b"\x06\x09" + b"A" * 300 + b"\n", "an overlong line"),
])
def test_broken_packets_are_dropped_and_the_next_one_is_answered(smp_host, broken, why):
    echo = smpos.EchoWriteRequest(d="still here, " * 20)
    good = smpos.EchoWriteRequest(d="after")
    out = serve(smp_host, broken(wire(echo)) + b"help\r\n" + wire(good))
    assert out["REQ"] == [good.BYTES], why
    assert smpos.EchoWriteResponse.loads(answers(out)[0]).r == "after"
    assert b"help\r\n" in b"".join(out["TEXT"]), why
    assert out["DROPPED"] >= 1, why


def test_garbage_on_the_uart_never_wedges_text_or_smp(smp_host):
    """Line noise, NUL and 0xFF bytes, a half frame and a reset in the middle of one."""
    echo = smpos.EchoWriteRequest(d="x" * 300)
    half = wire(echo)[:150]                            # the device reset while this frame was coming in
    noise = bytes([0x00, 0xFF, 0x06, 0x00, 0x04, 0x15, 0x06, 0x0A, 0xFF, 0xFE, 0x0D, 0x0A])
    good = smpos.EchoWriteRequest(d="answered")
    out = serve(smp_host, noise + half + b"\n" + noise + b"reboot\r\n" + wire(good) + b"info\r\n")
    assert out["REQ"] == [good.BYTES]
    text = b"".join(out["TEXT"])
    assert b"reboot\r\n" in text and text.endswith(b"info\r\n")


def test_random_streams_never_crash_the_receive_path(smp_host):
    rng = random.Random(7)
    pieces = [b"\x06\x09", b"\x04\x14", b"\n", b"\r\n", b"====", b"AAAA", bytes(range(256))]
    stream = bytearray()
    for _ in range(3000):
        stream += rng.choice(pieces) if rng.random() < 0.5 else bytes(rng.randrange(256) for _ in range(rng.randrange(20)))
    good = smpos.EchoWriteRequest(d="end")
    out = serve(smp_host, bytes(stream) + b"\n" + wire(good))
    assert out["REQ"][-1] == good.BYTES
