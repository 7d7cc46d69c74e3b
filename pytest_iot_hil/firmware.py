"""Firmware files: what gets loaded where, and how to name it in a report.

Supports ELF (PT_LOAD segments at their physical address), Intel HEX (its
records' addresses, read with the ``intelhex`` package that pyOCD brings) and
raw ``.bin`` files (loaded at the target's ``load_address``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from pathlib import Path

from .errors import FirmwareError

_ELF_MAGIC = b"\x7fELF"
_PT_LOAD = 1


@dataclasses.dataclass(frozen=True)
class Segment:
    address: int
    data: bytes

    @property
    def end(self) -> int:
        return self.address + len(self.data)


@dataclasses.dataclass(frozen=True)
class FirmwareImage:
    """A firmware file split into the segments a loader writes."""

    path: Path
    segments: tuple[Segment, ...]
    sha256: str

    @classmethod
    def load(cls, path: str | Path, *, load_address: int = 0) -> "FirmwareImage":
        path = Path(path)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise FirmwareError(
                f"firmware file {path} does not exist: build it or pass an existing "
                "file with --hil-firmware"
            ) from None
        except OSError as exc:
            raise FirmwareError(f"cannot read firmware file {path}: {exc.strerror}") from None
        if not raw:
            raise FirmwareError(f"firmware file {path} is empty")
        digest = hashlib.sha256(raw).hexdigest()
        if raw.startswith(_ELF_MAGIC):
            segments = _elf_segments(path, raw)
        elif path.suffix.lower() in (".bin", ".img"):
            segments = (Segment(load_address, raw),)
        elif path.suffix.lower() in (".hex", ".ihex"):
            segments = _hex_segments(path)
        else:
            raise FirmwareError(
                f"firmware file {path} is neither an ELF file, an Intel HEX file nor a raw .bin image: "
                "convert it with arm-none-eabi-objcopy -O binary"
            )
        return cls(path=path, segments=segments, sha256=digest)

    @classmethod
    def from_bytes(cls, data: bytes, *, address: int, name: str = "<memory>") -> "FirmwareImage":
        return cls(Path(name), (Segment(address, bytes(data)),), hashlib.sha256(data).hexdigest())

    @property
    def size(self) -> int:
        return sum(len(s.data) for s in self.segments)

    def check_fits(self, flash, ram: "list", where: str) -> None:
        """Every segment must lie inside ``flash`` or one of the ``ram`` regions (``MemoryRegion``s).

        ``where`` names the target description for the message. Without a flash
        region and RAM regions there is nothing to check against.
        """
        places = ([flash] if flash is not None else []) + list(ram)
        if not places:
            return
        known = ", ".join(f"{p.name} {p.start:#x}-{p.end:#x}" for p in places)
        raw = self.path.suffix.lower() in (".bin", ".img") and len(self.segments) == 1
        for i, seg in enumerate(self.segments):
            if any(p.start <= seg.address and seg.end <= p.end for p in places):
                continue
            if raw:
                raise FirmwareError(
                    f"firmware file {self.path} ({len(seg.data)} bytes) loaded at {seg.address:#x} would cover "
                    f"{seg.address:#x}-{seg.end:#x}, outside the target's memory ({known}) of {where}: "
                    "use a smaller image, or fix load_address / flash"
                )
            raise FirmwareError(
                f"firmware file {self.path}: loadable segment {i} ({seg.address:#x}-{seg.end:#x}, {len(seg.data)} "
                f"bytes) lies outside the target's memory ({known}) of {where}: link the firmware for this "
                "target, or fix its flash / regions"
            )


def _hex_segments(path: Path) -> tuple[Segment, ...]:
    try:
        from intelhex import HexRecordError, IntelHex
    except ImportError:
        raise FirmwareError(f"firmware file {path} is Intel HEX: pip install intelhex (pyOCD brings it) "
                            "to read it, or give the .elf or .bin") from None
    try:
        ihex = IntelHex(str(path))
    except (HexRecordError, ValueError) as exc:
        raise FirmwareError(f"firmware file {path} is not valid Intel HEX: {exc}") from None
    segments = tuple(Segment(start, ihex.tobinstr(start=start, end=end - 1)) for start, end in ihex.segments())
    if not segments:
        raise FirmwareError(f"firmware file {path} holds no data records")
    return segments


def _elf_segments(path: Path, raw: bytes) -> tuple[Segment, ...]:
    def bad(why: str) -> FirmwareError:
        return FirmwareError(f"firmware file {path} is not a usable ELF file: {why}")

    if len(raw) < 52:
        raise bad("truncated header")
    if raw[4] != 1:
        raise bad("only 32-bit ELF (Cortex-M) is supported")
    endian = {1: "<", 2: ">"}.get(raw[5])
    if endian is None:
        raise bad("unknown byte order")
    (e_phoff,) = struct.unpack_from(endian + "I", raw, 28)
    e_phentsize, e_phnum = struct.unpack_from(endian + "HH", raw, 42)
    if e_phnum == 0:
        raise bad("no program headers")
    segments = []
    for i in range(e_phnum):
        off = e_phoff + i * e_phentsize
        if off + 32 > len(raw):
            raise bad("program header table runs past the end of the file")
        p_type, p_offset, _vaddr, p_paddr, p_filesz, p_memsz = struct.unpack_from(
            endian + "6I", raw, off
        )
        if p_type != _PT_LOAD or p_filesz == 0:
            continue
        if p_offset + p_filesz > len(raw):
            raise bad(f"segment {i} runs past the end of the file (truncated?)")
        segments.append(Segment(p_paddr, raw[p_offset : p_offset + p_filesz]))
    if not segments:
        raise bad("no loadable segments")
    return tuple(sorted(segments, key=lambda s: s.address))
