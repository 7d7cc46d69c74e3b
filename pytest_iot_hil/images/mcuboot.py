"""Reading MCUboot images: header, payload and the two TLV areas.

Layout (MCUboot ``docs/design.md`` §Image format, all little-endian)::

    0x00 u32 ih_magic (0x96f3b83d)   0x04 u32 ih_load_addr
    0x08 u16 ih_hdr_size             0x0a u16 ih_protect_tlv_size
    0x0c u32 ih_img_size             0x10 u32 ih_flags
    0x14 u8 major, u8 minor, u16 revision, u32 build_num
    ... header padding up to ih_hdr_size, then the payload,
    then the protected TLV area   (info: u16 0x6908, u16 total size incl. info),
    then the unprotected TLV area (info: u16 0x6907, u16 total size incl. info).

Each TLV is ``u16 type, u16 len, value``.  The SHA-256 TLV (0x10, unprotected)
covers header + payload + protected TLVs; SEC_CNT (0x50) is protected, so it is
only trustworthy when the hash matches.

The reader is deliberately lenient about *content* (a wrong hash is reported by
``hash_ok``, not raised) and strict about *structure* (bad magic, truncation,
malformed TLV areas raise :class:`ImageFormatError`): tests need to inspect
images that are meant to be bad, but never guess at an image they cannot parse.

It accepts trailing bytes after the image (a slot read back from flash, padded
with 0xFF): ``ImageInfo.data`` holds the image alone.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import struct
import tempfile
from pathlib import Path

from ..errors import HilError

IMAGE_MAGIC = 0x96F3B83D
HEADER_STRUCT = struct.Struct("<IIHHIIBBHI")  # up to and including build_num
HEADER_MIN_SIZE = 32  # MCUboot's struct image_header, with its 4 padding bytes
IMAGE_F_ROM_FIXED = 0x100

TLV_INFO_MAGIC = 0x6907
TLV_PROT_INFO_MAGIC = 0x6908
TLV_INFO_SIZE = 4
TLV_HEADER_SIZE = 4

TLV_SHA256 = 0x10
TLV_SEC_CNT = 0x50

#: Names of the four regions of an image, in file order.
REGIONS = ("header", "payload", "protected_tlv", "tlv")


class ImageFormatError(HilError):
    """The bytes are not a well-formed MCUboot image (bad magic, truncated, bad TLV area)."""


@dataclasses.dataclass(frozen=True)
class Tlv:
    """One TLV entry. ``offset`` is where its 4-byte TLV header starts in the image."""

    type: int
    offset: int
    value: bytes
    protected: bool

    @property
    def value_offset(self) -> int:
        return self.offset + TLV_HEADER_SIZE


@dataclasses.dataclass(frozen=True)
class ImageInfo:
    """A parsed MCUboot image.

    Region offsets (``header_range``, ``payload_range``, ``protected_tlv_range``,
    ``tlv_range``) are half-open ``range`` objects of byte offsets from the start
    of the image, so ``info.data[r.start:r.stop]`` is the region and ``len(r)`` its
    size. ``protected_tlv_range`` is empty (``range(x, x)``) when the image has no
    protected TLVs. The TLV ranges include their 4-byte info headers.
    """

    data: bytes = dataclasses.field(repr=False)
    load_addr: int
    hdr_size: int
    protect_tlv_size: int
    img_size: int
    flags: int
    version_tuple: tuple[int, int, int, int]
    security_counter: int | None
    sha256_tlv: bytes | None
    computed_sha256: bytes
    tlvs: tuple[Tlv, ...] = dataclasses.field(repr=False)
    header_range: range
    payload_range: range
    protected_tlv_range: range
    tlv_range: range

    @property
    def rom_fixed(self) -> bool:
        return bool(self.flags & IMAGE_F_ROM_FIXED)

    @property
    def version(self) -> str:
        """``major.minor.revision``, with ``+build`` only when the build number is not 0."""
        major, minor, revision, build = self.version_tuple
        text = f"{major}.{minor}.{revision}"
        return f"{text}+{build}" if build else text

    @property
    def hash_ok(self) -> bool:
        return self.sha256_tlv is not None and self.sha256_tlv == self.computed_sha256

    @property
    def total_size(self) -> int:
        return self.tlv_range.stop

    @property
    def payload(self) -> bytes:
        return self.region("payload")

    def region(self, name: str) -> bytes:
        """The bytes of one region: ``header``, ``payload``, ``protected_tlv`` or ``tlv``."""
        r = self.region_range(name)
        return self.data[r.start : r.stop]

    def region_range(self, name: str) -> range:
        ranges = {
            "header": self.header_range,
            "payload": self.payload_range,
            "protected_tlv": self.protected_tlv_range,
            "tlv": self.tlv_range,
        }
        try:
            return ranges[name]
        except KeyError:
            raise ValueError(f"unknown image region {name!r}: choose one of {', '.join(REGIONS)}") from None

    def tlv(self, tlv_type: int) -> Tlv | None:
        """The first TLV of that type, protected or not."""
        return next((t for t in self.tlvs if t.type == tlv_type), None)


def _load(data: bytes | bytearray | memoryview | str | Path) -> tuple[bytes, str]:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data), "image"
    path = Path(data)
    try:
        return path.read_bytes(), str(path)
    except OSError as exc:
        raise ImageFormatError(f"cannot read image file {path}: {exc.strerror}") from None


def _tlv_area(
    data: bytes, start: int, magic: int, protected: bool, name: str, header_size: int | None = None
) -> tuple[int, list[Tlv]]:
    """Parses the TLV area at ``start``; returns (area size incl. info, entries).

    ``header_size`` is the size the image header announces for this area, if any.
    """
    if len(data) < start + TLV_INFO_SIZE:
        raise ImageFormatError(
            f"{name}: truncated: the {'protected ' if protected else ''}TLV area should start at "
            f"offset {start:#x} but the data ends at {len(data):#x}"
        )
    found, size = struct.unpack_from("<HH", data, start)
    if found != magic:
        raise ImageFormatError(
            f"{name}: bad {'protected ' if protected else ''}TLV info magic {found:#06x} at offset "
            f"{start:#x} (expected {magic:#06x}): the image is corrupted or its header sizes are wrong"
        )
    if header_size is not None and size != header_size:
        raise ImageFormatError(
            f"{name}: the protected TLV area says it is {size:#x} bytes but the header says "
            f"{header_size:#x}: the image is corrupted"
        )
    if size < TLV_INFO_SIZE:
        raise ImageFormatError(f"{name}: TLV area at {start:#x} claims {size} bytes, less than its own info header")
    end = start + size
    if len(data) < end:
        raise ImageFormatError(
            f"{name}: truncated inside the TLVs: the TLV area ends at {end:#x} but the data ends at {len(data):#x}"
        )
    entries = []
    off = start + TLV_INFO_SIZE
    while off < end:
        if end - off < TLV_HEADER_SIZE:
            raise ImageFormatError(f"{name}: malformed TLV area: {end - off} stray byte(s) at {off:#x}")
        tlv_type, length = struct.unpack_from("<HH", data, off)
        if length > end - off - TLV_HEADER_SIZE:
            raise ImageFormatError(
                f"{name}: malformed TLV area: TLV {tlv_type:#x} at {off:#x} is {length} bytes long "
                f"and runs past the end of its area ({end:#x})"
            )
        value = data[off + TLV_HEADER_SIZE : off + TLV_HEADER_SIZE + length]
        entries.append(Tlv(tlv_type, off, value, protected))
        off += TLV_HEADER_SIZE + length
    return size, entries


def read_image(data: bytes | str | Path) -> ImageInfo:
    """Parse an MCUboot image from bytes or a file.

    Raises :class:`ImageFormatError` for bad magic, a truncated header, payload
    or TLV area, or a bad TLV info magic.  A wrong hash is *not* an error: see
    ``ImageInfo.hash_ok``.
    """
    raw, name = _load(data)
    if len(raw) < HEADER_MIN_SIZE:
        raise ImageFormatError(f"{name}: truncated header: {len(raw)} bytes, an MCUboot header needs {HEADER_MIN_SIZE}")
    magic, load_addr, hdr_size, prot_size, img_size, flags, major, minor, rev, build = HEADER_STRUCT.unpack_from(raw)
    if magic != IMAGE_MAGIC:
        raise ImageFormatError(
            f"{name}: bad header magic {magic:#010x} (expected {IMAGE_MAGIC:#010x}): "
            "not an MCUboot image, or its header is corrupted"
        )
    if hdr_size < HEADER_MIN_SIZE:
        raise ImageFormatError(f"{name}: header size {hdr_size:#x} is smaller than the {HEADER_MIN_SIZE}-byte header")
    payload_end = hdr_size + img_size
    if len(raw) < payload_end:
        raise ImageFormatError(
            f"{name}: truncated payload: header + payload end at {payload_end:#x} "
            f"but the data ends at {len(raw):#x}"
        )
    # Like MCUboot's bootutil_tlv_iter_begin: the header says whether a
    # protected area exists, and then its info must agree with that size.
    tlvs: list[Tlv] = []
    if prot_size:
        _, entries = _tlv_area(raw, payload_end, TLV_PROT_INFO_MAGIC, True, name, prot_size)
        tlvs += entries
    tlv_start = payload_end + prot_size
    tlv_size, entries = _tlv_area(raw, tlv_start, TLV_INFO_MAGIC, False, name)
    tlvs += entries
    total = tlv_start + tlv_size

    # SEC_CNT counts only from the protected area (as MCUboot does):
    # an unprotected one could be changed without breaking the hash.
    sec = next((t for t in tlvs if t.protected and t.type == TLV_SEC_CNT), None)
    sha = next((t for t in tlvs if not t.protected and t.type == TLV_SHA256), None)
    return ImageInfo(
        data=raw[:total],
        load_addr=load_addr,
        hdr_size=hdr_size,
        protect_tlv_size=prot_size,
        img_size=img_size,
        flags=flags,
        version_tuple=(major, minor, rev, build),
        security_counter=int.from_bytes(sec.value, "little") if sec and len(sec.value) == 4 else None,
        sha256_tlv=sha.value if sha else None,
        computed_sha256=hashlib.sha256(raw[:tlv_start]).digest(),
        tlvs=tuple(tlvs),
        header_range=range(0, hdr_size),
        payload_range=range(hdr_size, payload_end),
        protected_tlv_range=range(payload_end, tlv_start),
        tlv_range=range(tlv_start, total),
    )


@dataclasses.dataclass(frozen=True)
class ImagePeek:
    """What the header of a possibly damaged slot claims (see :func:`peek_image`).

    Every field is ``None`` (``extent``: 0) when the slot holds no MCUboot
    header; fields the bytes cannot support are ``None`` too.
    """

    #: ``major.minor.revision`` from the header (the build number left out).
    version: str | None
    #: Bytes the image claims: header + payload + both TLV areas, capped at the slot size.
    extent: int
    #: SEC_CNT from the protected TLV area, if one can be found there.
    security_counter: int | None

    @property
    def present(self) -> bool:
        """Whether the slot starts with the MCUboot header magic."""
        return self.version is not None


def peek_image(slot: bytes) -> ImagePeek:
    """The header facts of the image at the start of ``slot``, never raising.

    For slots read back from flash, which may hold a torn or garbled image
    (a power cut in the middle of an update): unlike :func:`read_image` it
    does not check the structure, verify the hash or require the whole image.
    A header whose sizes run past the slot gives an ``extent`` of the whole
    slot, and SEC_CNT is searched only within the bytes present.
    """
    slot = bytes(slot)
    if len(slot) < HEADER_MIN_SIZE or struct.unpack_from("<I", slot)[0] != IMAGE_MAGIC:
        return ImagePeek(None, 0, None)
    _, _, hdr, prot, size, _, major, minor, rev, _ = HEADER_STRUCT.unpack_from(slot)
    unprot_at = hdr + size + prot
    if unprot_at + TLV_INFO_SIZE > len(slot):
        extent = len(slot)
    else:
        extent = min(len(slot), unprot_at + struct.unpack_from("<H", slot, unprot_at + 2)[0])
    sec = None
    off, end = hdr + size + TLV_INFO_SIZE, min(hdr + size + prot, len(slot))
    while off + TLV_HEADER_SIZE + 4 <= end:
        tlv_type, length = struct.unpack_from("<HH", slot, off)
        if tlv_type == TLV_SEC_CNT and length == 4:
            sec = struct.unpack_from("<I", slot, off + TLV_HEADER_SIZE)[0]
            break
        off += TLV_HEADER_SIZE + length
    return ImagePeek(f"{major}.{minor}.{rev}", extent, sec)


@functools.lru_cache(maxsize=8)
def _imgtool_key(path: str):
    """imgtool's key object for a PEM file, read once per process."""
    from imgtool import keys as imgtool_keys

    return imgtool_keys.load(path)


def verify_with_imgtool(image: bytes | str | Path, key: str | Path | None = None) -> str:
    """imgtool's own verdict on an image (``imgtool verify``, with ``-k key`` when given).

    Returns the name of imgtool's ``VerifyResult``: ``"OK"``, ``"INVALID_MAGIC"``,
    ``"INVALID_TLV_INFO_MAGIC"``, ``"INVALID_HASH"``, ``"INVALID_SIGNATURE"`` or
    ``"KEY_MISMATCH"``; or ``"UNREADABLE"`` when imgtool 2.5.0 itself fails to
    parse the file (it raises ``struct.error`` on an image cut before a TLV
    header).  Without a key imgtool checks magic, TLV info magic and the SHA
    TLV, nothing else: ROM_FIXED, sizes and SEC_CNT are not its business; with
    one it also checks the signature TLV against that key.
    """
    try:
        from imgtool.image import Image
    except ImportError:  # pragma: no cover - imgtool is a test dependency
        raise HilError("imgtool is not installed: pip install imgtool==2.5.0") from None
    if isinstance(image, (bytes, bytearray, memoryview)):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "image.bin"
            path.write_bytes(bytes(image))
            return verify_with_imgtool(path, key)
    path = Path(image)
    if not path.is_file():
        raise ImageFormatError(f"image file {path} does not exist")
    loaded = _imgtool_key(str(key)) if key is not None else None
    try:
        result = Image.verify(str(path), loaded)[0]
    except (struct.error, IndexError, ValueError):
        # imgtool indexes past the end of a cut image instead of reporting it.
        return "UNREADABLE"
    return result.name
