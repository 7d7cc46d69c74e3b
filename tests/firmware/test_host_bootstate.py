"""Host tests of the demo firmware's hardware-free C core.

The journal, boot decision, image validation, update protocol and the
SHA-256/CRC-32/COBS code in firmware_fixtures/src/core are compiled with the
host C compiler against a strict simulated flash (tests/firmware/host/) and
run here. The committed imgtool-signed images are cross-checked against the
C validator, and the C hashes against Python's.
"""
from __future__ import annotations

import hashlib
import random
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from hostbuild import CORE, HOST, ROOT, compile_host

BUILD = ROOT / "firmware_fixtures" / "build"

CORE_SOURCES = ["strfmt", "linebuf", "crc32", "sha256", "journal", "image",
                "bootflow", "ota", "report"]

CASES = [
    "sha256_vectors",
    "crc32_check",
    "record_layout",
    "factory_state",
    "factory_first_valid_slot",
    "factory_no_image_recovery",
    "append_and_sector_switch",
    "torn_and_invalid_records_skipped",
    "full_sector_of_garbage",
    "tries_decrement_and_rollback",
    "floor_raised_only_on_confirm",
    "permanent_activation_raises_floor_at_boot",
    "sec_cnt_below_floor_rejected",
    "invalid_pending_marked_bad",
    "mark_bad_rolls_back",
    "image_validation_errors",
    "ota_engine",
    "ota_rejections",
    "command_lines",
    "power_cut_every_op",
    "power_cut_every_op_torn",
    "power_cut_sector_switch",
]

SLOT_BASE = {"A": 0x10000, "B": 0x88000}
# name -> (version, security counter), as the Makefile builds them
APPS = {
    "v1": ("1.0.0", 1),
    "v2": ("2.0.0", 2),
    "v3-crash": ("3.0.0", 2),
    "v4-hang": ("4.0.0", 2),
    "v5-noconfirm": ("5.0.0", 2),
    "downgrade": ("0.9.0", 0),
}


#: The firmware's signature step: Ed25519 over the image digest, by the key in trust_key.c.
SIGNATURE_SOURCES = ["sha512", "ed25519", "sigcheck", "trust_key"]


@pytest.fixture(scope="module")
def hosttest(tmp_path_factory) -> Path:
    """The boot-state cases, with the harness's stand-in signatures (host/hostsig.c)."""
    out = tmp_path_factory.mktemp("hosttest") / "hosttest"
    sources = [CORE / f"{name}.c" for name in CORE_SOURCES] + \
        [HOST / "simflash.c", HOST / "hostsig.c", HOST / "sigcheck_standin.c", HOST / "test_bootstate.c"]
    return compile_host(out, sources, probe=["list"])


@pytest.fixture(scope="module")
def hostvalidate(tmp_path_factory) -> Path:
    """The same program with the firmware's own signature step, for ``validate`` of imgtool-signed images."""
    out = tmp_path_factory.mktemp("hostvalidate") / "hostvalidate"
    sources = [CORE / f"{name}.c" for name in CORE_SOURCES + SIGNATURE_SOURCES] + \
        [HOST / "simflash.c", HOST / "hostsig.c", HOST / "test_bootstate.c"]
    return compile_host(out, sources, probe=["list"])


def run(binary: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), *args], capture_output=True, text=True, timeout=120)


def test_case_list_matches(hosttest):
    assert run(hosttest, "list").stdout.split() == CASES


@pytest.mark.parametrize("case", CASES)
def test_host_case(hosttest, case):
    res = run(hosttest, "run", case)
    assert res.returncode == 0 and f"ok - {case}" in res.stdout.splitlines(), \
        f"{case} failed:\n{res.stdout}{res.stderr}"


def _signed_images():
    return [(app, slot) for app in APPS for slot in "AB"]


@pytest.mark.parametrize("app,slot", _signed_images())
def test_validator_accepts_imgtool_images(hostvalidate, app, slot):
    path = BUILD / f"app-{app}-slot{slot}.signed.bin"
    if not path.exists():
        pytest.skip(f"{path.name} not built")
    version, sec = APPS[app]
    digest = hashlib.sha256(path.read_bytes()[:_hashed_len(path.read_bytes())]).hexdigest()[:8]
    base = SLOT_BASE[slot]
    assert run(hostvalidate, "validate", str(path), hex(base), str(sec)).stdout.strip() == \
        f"OK version={version} sec={sec} digest={digest}"
    # one above its SEC_CNT: refused as a rollback
    assert run(hostvalidate, "validate", str(path), hex(base), str(sec + 1)).stdout.startswith("E_ROLLBACK ")
    # in the other slot: built for another address
    other = SLOT_BASE["B" if slot == "A" else "A"]
    assert run(hostvalidate, "validate", str(path), hex(other), "0").stdout.startswith("E_LOADADDR ")


def _hashed_len(img: bytes) -> int:
    """Header + payload + protected TLVs: what the SHA256 TLV covers."""
    hdr_size, prot_size, img_size = struct.unpack_from("<HHI", img, 8)
    return hdr_size + img_size + prot_size


def _variants(img: bytes) -> dict[str, tuple[bytes, str, str]]:
    """name -> (image, code in place in the slot, code at FINISH with the file size as limit)"""
    hdr_size, prot_size, img_size = struct.unpack_from("<HHI", img, 8)
    unprot = hdr_size + img_size + prot_size
    out = {}
    b = bytearray(img); b[hdr_size + 0x100] ^= 0x01
    out["payload_bit_flip"] = (bytes(b), "E_HASH", "E_HASH")
    b = bytearray(img); b[0] ^= 0xFF
    out["bad_magic"] = (bytes(b), "E_MAGIC", "E_MAGIC")
    b = bytearray(img); struct.pack_into("<I", b, 4, 0x10000)
    out["wrong_load_addr"] = (bytes(b), "E_LOADADDR", "E_LOADADDR")
    b = bytearray(img); struct.pack_into("<I", b, 16, 0)
    out["no_rom_fixed"] = (bytes(b), "E_LOADADDR", "E_LOADADDR")
    b = bytearray(img); b[hdr_size + img_size + 8] ^= 0x01   # SEC_CNT value
    out["sec_cnt_tampered"] = (bytes(b), "E_HASH", "E_HASH")
    b = bytearray(img)
    tot = struct.unpack_from("<H", b, unprot + 2)[0]
    struct.pack_into("<H", b, unprot + 2, tot + 8)
    b += struct.pack("<HHI", 0x7F, 4, 0)                     # not on the allow-list
    out["extra_unprotected_tlv"] = (bytes(b), "E_TLV", "E_TLV")
    out["truncated_tlvs"] = (img[:unprot + 4], "E_TLV", "E_SIZE")
    out["no_tlvs"] = (img[:unprot], "E_TLV", "E_SIZE")
    b = bytearray(img); struct.pack_into("<I", b, 12, 0x78000)
    out["img_size_too_big"] = (bytes(b), "E_SIZE", "E_SIZE")
    return out


VARIANTS = ["payload_bit_flip", "bad_magic", "wrong_load_addr", "no_rom_fixed", "sec_cnt_tampered",
            "extra_unprotected_tlv", "truncated_tlvs", "no_tlvs", "img_size_too_big"]


@pytest.mark.parametrize("variant", VARIANTS)
def test_validator_rejects_corrupted_images(hostvalidate, tmp_path, variant):
    src = BUILD / "app-v2-slotB.signed.bin"
    if not src.exists():
        pytest.skip(f"{src.name} not built")
    data, in_slot, at_finish = _variants(src.read_bytes())[variant]
    path = tmp_path / f"{variant}.bin"
    path.write_bytes(data)
    base = hex(SLOT_BASE["B"])
    assert run(hostvalidate, "validate", str(path), base, "0").stdout.split()[0] == in_slot
    assert run(hostvalidate, "validate", str(path), base, "0", str(len(data))).stdout.split()[0] == at_finish


@pytest.mark.parametrize("size", [0, 1, 55, 56, 63, 64, 65, 1000, 4096, 100_003])
def test_sha256_and_crc32_match_python(hosttest, tmp_path, size):
    data = random.Random(size).randbytes(size)
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    assert run(hosttest, "sha256", str(path)).stdout.strip() == hashlib.sha256(data).hexdigest()
    assert run(hosttest, "crc32", str(path)).stdout.strip() == f"{zlib.crc32(data):08x}"


