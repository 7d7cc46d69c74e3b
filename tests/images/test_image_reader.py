"""read_image() on every committed image, cross-checked with imgtool."""

from __future__ import annotations

import hashlib
import re
import struct
import subprocess
import sys

from pathlib import Path

import pytest

from pytest_iot_hil.errors import HilError
from pytest_iot_hil.images import ImageFormatError, read_image, verify_with_imgtool
from pytest_iot_hil.images.mcuboot import TLV_SEC_CNT, TLV_SHA256
from pytest_iot_hil.images.signing import TLV_ED25519, TLV_KEYHASH, key_hash, public_key, verify_ed25519
from pytest_iot_hil.devices.demo.layout import signing_key


FIXTURES = Path(__file__).resolve().parents[2] / "firmware_fixtures"
BUILD = FIXTURES / "build"
GOOD_IMAGES = sorted(BUILD.glob("*.signed.bin"))
SLOT_BASES = {"A": 0x10000, "B": 0x88000}


def slot_of(path: Path) -> str:
    """``app-v2-slotB.signed.bin`` -> ``"B"``."""
    return path.name.split("-slot")[-1][0]


def makefile_variants() -> dict[str, tuple[str, int]]:
    """``{variant: (version, security counter)}`` from the Makefile's APP_VARIANTS table."""
    text = (FIXTURES / "Makefile").read_text()
    m = re.search(r"^APP_VARIANTS\s*:=(.*?)(?<!\\)\n(?=\S|\n)", text, re.M | re.S)
    assert m, "APP_VARIANTS not found in firmware_fixtures/Makefile"
    variants = {}
    for row in m.group(1).replace("\\\n", " ").split():
        name, major, minor, rev, sec = row.split(",")[:5]
        variants[name] = (f"{major}.{minor}.{rev}", int(sec))
    return variants


VARIANTS = makefile_variants()


def variant_of(name: str) -> str:
    """``app-v3-crash-slotA.signed.bin`` -> ``v3-crash``."""
    return name[len("app-") : name.index("-slot")]


def test_every_variant_of_the_makefile_is_committed_for_both_slots():
    names = {p.name for p in GOOD_IMAGES}
    expected = {f"app-{v}-slot{s}.signed.bin" for v in VARIANTS for s in "AB"}
    assert expected <= names, f"missing: {sorted(expected - names)}"


@pytest.mark.parametrize("path", GOOD_IMAGES, ids=lambda p: p.name)
def test_committed_image(path, good_images):
    data = good_images[path.name]
    info = read_image(data)
    version, sec = VARIANTS[variant_of(path.name)]
    assert info.version == version
    assert info.version_tuple == (*map(int, version.split(".")), 0)
    assert info.security_counter == sec
    assert info.load_addr == SLOT_BASES[slot_of(path)]
    assert info.rom_fixed
    assert info.hdr_size == 0x200
    assert info.hash_ok
    assert info.computed_sha256 == hashlib.sha256(data[: info.tlv_range.start]).digest()
    assert info.sha256_tlv == info.computed_sha256
    assert info.total_size == len(data) and info.data == data

    # The regions tile the image, in order, with nothing left over.
    ranges = [info.header_range, info.payload_range, info.protected_tlv_range, info.tlv_range]
    assert ranges[0].start == 0
    assert all(a.stop == b.start for a, b in zip(ranges, ranges[1:]))
    assert len(info.payload_range) == info.img_size
    assert len(info.protected_tlv_range) == info.protect_tlv_size
    assert info.region("protected_tlv")[:2] == b"\x08\x69" and info.region("tlv")[:2] == b"\x07\x69"

    # signed images as the Makefile builds them: SEC_CNT protected; SHA-256, key hash and signature not.
    assert [(t.type, t.protected) for t in info.tlvs] == \
        [(TLV_SEC_CNT, True), (TLV_SHA256, False), (TLV_KEYHASH, False), (TLV_ED25519, False)]
    assert info.tlv(TLV_KEYHASH).value == key_hash(public_key(signing_key()))
    assert verify_ed25519(public_key(signing_key()), info.tlv(TLV_ED25519).value, info.sha256_tlv)
    assert info.tlv(TLV_SHA256).value == info.sha256_tlv
    for t in info.tlvs:
        assert data[t.value_offset : t.value_offset + len(t.value)] == t.value


@pytest.mark.parametrize("path", GOOD_IMAGES, ids=lambda p: p.name)
def test_agrees_with_imgtool(path, good_images):
    from imgtool.image import Image, VerifyResult

    data = good_images[path.name]
    info = read_image(data)
    result, version, digest, _ = Image.verify(str(path), None)
    assert result == VerifyResult.OK and verify_with_imgtool(data) == "OK"
    assert tuple(version) == info.version_tuple
    assert digest == info.computed_sha256


def test_imgtool_cli_gives_the_same_verdicts(tmp_path, good_images):
    good = good_images["app-v1-slotA.signed.bin"]
    bad = bytearray(good)
    bad[0x300] ^= 1
    (tmp_path / "good.bin").write_bytes(good)
    (tmp_path / "bad.bin").write_bytes(bad)
    for name, verdict, rc, text in (("good.bin", "OK", 0, "correctly validated"), ("bad.bin", "INVALID_HASH", 1, "invalid hash")):
        proc = subprocess.run([sys.executable, "-m", "imgtool.main", "verify", str(tmp_path / name)],
                              capture_output=True, text=True)
        assert proc.returncode == rc and text in proc.stdout, proc.stdout + proc.stderr
        assert verify_with_imgtool(tmp_path / name) == verdict


def test_accepts_a_path_and_trailing_erased_flash(good_images):
    data = good_images["app-v2-slotB.signed.bin"]
    assert read_image(BUILD / "app-v2-slotB.signed.bin") == read_image(data)
    slot = data + b"\xff" * 0x1000  # a slot read back from flash
    info = read_image(slot)
    assert info.data == data and info.hash_ok


def test_version_shows_the_build_number_only_when_set(good_images):
    data = bytearray(good_images["app-v2-slotA.signed.bin"])
    struct.pack_into("<BBHI", data, 20, 1, 4, 300, 7)
    assert read_image(bytes(data)).version == "1.4.300+7"
    assert read_image(bytes(data)).version_tuple == (1, 4, 300, 7)
    assert not read_image(bytes(data)).hash_ok  # the header is hashed


# -- structure errors -----------------------------------------------------------


def _v1(good_images) -> bytes:
    return good_images["app-v1-slotA.signed.bin"]


def _patch(data: bytes, offset: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def test_bad_magic(good_images):
    with pytest.raises(ImageFormatError, match=r"bad header magic 0x96f3b83c .*expected 0x96f3b83d"):
        read_image(_patch(_v1(good_images), 0, "<I", 0x96F3B83C))


def test_not_an_image_at_all():
    with pytest.raises(ImageFormatError, match="bad header magic"):
        read_image(b"\x7fELF" + bytes(60))


@pytest.mark.parametrize("size", [0, 1, 31])
def test_truncated_header(size, good_images):
    with pytest.raises(ImageFormatError, match=rf"truncated header: {size} bytes"):
        read_image(_v1(good_images)[:size])


def test_truncated_payload(good_images):
    with pytest.raises(ImageFormatError, match="truncated payload"):
        read_image(_v1(good_images)[:0x400])


def test_truncated_tlvs(good_images):
    data = _v1(good_images)
    info = read_image(data)
    with pytest.raises(ImageFormatError, match="truncated inside the TLVs"):
        read_image(data[: info.total_size - 1])
    with pytest.raises(ImageFormatError, match="protected TLV area should start"):
        read_image(data[: info.payload_range.stop + 2])
    with pytest.raises(ImageFormatError, match="TLV area should start"):
        read_image(data[: info.tlv_range.start])


def test_bad_tlv_info_magic(good_images):
    data = _v1(good_images)
    info = read_image(data)
    with pytest.raises(ImageFormatError, match=r"bad TLV info magic 0x6906 .*expected 0x6907"):
        read_image(_patch(data, info.tlv_range.start, "<H", 0x6906))
    with pytest.raises(ImageFormatError, match=r"bad protected TLV info magic 0x6909 .*expected 0x6908"):
        read_image(_patch(data, info.protected_tlv_range.start, "<H", 0x6909))


def test_protected_size_disagrees_with_header(good_images):
    data = _v1(good_images)
    info = read_image(data)
    with pytest.raises(ImageFormatError, match="protected TLV area says it is 0x10 bytes but the header says 0xc"):
        read_image(_patch(data, info.protected_tlv_range.start + 2, "<H", 0x10))


def test_tlv_running_past_its_area(good_images):
    data = _v1(good_images)
    info = read_image(data)
    sha = info.tlv(TLV_SHA256)
    with pytest.raises(ImageFormatError, match="runs past the end of its area"):
        read_image(_patch(data, sha.offset + 2, "<H", 33))


def test_header_size_below_32(good_images):
    with pytest.raises(ImageFormatError, match="header size 0x10 is smaller"):
        read_image(_patch(_v1(good_images), 8, "<H", 0x10))


def test_missing_file_and_error_hierarchy(tmp_path):
    with pytest.raises(ImageFormatError, match=r"cannot read image file .*nope\.bin"):
        read_image(tmp_path / "nope.bin")
    assert issubclass(ImageFormatError, HilError)


def test_imgtool_verdicts_for_structural_damage(good_images):
    data = _v1(good_images)
    info = read_image(data)
    assert verify_with_imgtool(_patch(data, 0, "<I", 0)) == "INVALID_MAGIC"
    assert verify_with_imgtool(_patch(data, info.tlv_range.start, "<H", 0x6906)) == "INVALID_TLV_INFO_MAGIC"
    # imgtool 2.5.0 indexes past the end of an image cut before a TLV header.
    assert verify_with_imgtool(data[: info.tlv_range.start + 2]) == "UNREADABLE"
    with pytest.raises(ImageFormatError, match="does not exist"):
        verify_with_imgtool(BUILD / "no-such-image.bin")


def test_region_names(good_images):
    info = read_image(_v1(good_images))
    with pytest.raises(ValueError, match="unknown image region 'trailer'"):
        info.region("trailer")
