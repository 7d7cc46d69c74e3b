"""A minimal PNG writer (8-bit RGB, no dependencies beyond zlib and struct)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

RGB = tuple[int, int, int]


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(width: int, height: int, pixels: bytearray) -> bytes:
    """``pixels`` holds ``height`` rows of ``width`` RGB triplets, top row first."""
    if len(pixels) != width * height * 3:
        raise ValueError(f"expected {width * height * 3} bytes of pixels, got {len(pixels)}")
    stride = width * 3
    # Filter type 0 (none) before every row.
    raw = b"".join(b"\x00" + bytes(pixels[y * stride : (y + 1) * stride]) for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(raw, 9)) + _chunk(b"IEND", b"")


class Canvas:
    """A width x height RGB raster with rectangle filling."""

    def __init__(self, width: int, height: int, background: RGB = (255, 255, 255)) -> None:
        self.width = width
        self.height = height
        self.pixels = bytearray(bytes(background) * (width * height))

    def fill(self, x: int, y: int, w: int, h: int, colour: RGB) -> None:
        x0, y0 = max(0, x), max(0, y)
        x1, y1 = min(self.width, x + w), min(self.height, y + h)
        if x1 <= x0 or y1 <= y0:
            return
        row = bytes(colour) * (x1 - x0)
        for yy in range(y0, y1):
            start = (yy * self.width + x0) * 3
            self.pixels[start : start + len(row)] = row

    def save(self, path: Path) -> None:
        Path(path).write_bytes(encode_png(self.width, self.height, self.pixels))
