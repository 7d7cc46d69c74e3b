"""Consistent Overhead Byte Stuffing (Cheshire & Baker, 1999).

Encoded data holds no 0x00 byte, so 0x00 can delimit frames on a UART that
also carries text lines.
"""

from __future__ import annotations


def encode(data: bytes) -> bytes:
    out = bytearray()
    block = bytearray()
    for byte in data:
        if byte == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
        else:
            block.append(byte)
            if len(block) == 254:
                out.append(255)
                out += block
                block.clear()
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def decode(data: bytes) -> bytes:
    out = bytearray()
    pos = 0
    while pos < len(data):
        code = data[pos]
        if code == 0 or pos + code > len(data):
            raise ValueError(f"invalid COBS code {code} at offset {pos}")
        out += data[pos + 1 : pos + code]
        pos += code
        if code < 255 and pos < len(data):
            out.append(0)
    return bytes(out)
