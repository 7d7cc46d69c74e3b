"""check_demo_image() gives the same verdict as the firmware's image_validate(),
compiled for the host, on good images and hundreds of damaged ones."""

from __future__ import annotations

import struct

import pytest

from pytest_iot_hil.devices.demo.image_check import check_demo_image, digest_prefix
from pytest_iot_hil.devices.demo.layout import HEADER_SIZE, SLOT_SIZE
from pytest_iot_hil.images import flip_byte, read_image, set_load_addr, truncate
from pytest_iot_hil.images.build import sign_bytes

OTHER_BASE = {0x10000: 0x88000, 0x88000: 0x10000}
SOURCES = ["app-v1-slotA.signed.bin", "app-v2-slotB.signed.bin", "app-v4-hang-slotA.signed.bin",
           "app-downgrade-slotB.signed.bin"]


def rebuild(info, *, prot: list[tuple[int, bytes]], unprot: list[tuple[int, bytes]] | None = None,
            prot_size: int | None = None) -> bytes:
    """The image with hand-made TLV areas (hash recomputed when unprot is None)."""
    import hashlib

    def area(magic: int, tlvs: list[tuple[int, bytes]]) -> bytes:
        body = b"".join(struct.pack("<HH", t, len(v)) + v for t, v in tlvs)
        return struct.pack("<HH", magic, 4 + len(body)) + body

    prot_area = area(0x6908, prot) if prot else b""
    header = bytearray(info.data[: info.hdr_size])
    struct.pack_into("<H", header, 10, len(prot_area) if prot_size is None else prot_size)
    hashed = bytes(header) + info.payload + prot_area
    if unprot is None:
        unprot = [(0x10, hashlib.sha256(hashed).digest())]
    return hashed + area(0x6907, unprot)


def mutants(data: bytes) -> list[tuple[str, bytes]]:
    info = read_image(data)
    out = [("good", data), ("erased slot", b""), ("zeros", bytes(64))]
    for offset in range(32):
        for mask in (0x01, 0x80):
            out.append((f"header {offset} ^ {mask:#x}", flip_byte(data, "header", offset, mask)))
    for region in ("protected_tlv", "tlv"):
        for offset in range(len(info.region_range(region))):
            out.append((f"{region} {offset}", flip_byte(data, region, offset, 0x40)))
    for offset in (0, 1, 4, 5, 8, info.img_size - 1):
        out.append((f"payload {offset}", flip_byte(data, "payload", offset)))
    for size in (4, 31, 32, 0x200, 0x208, info.payload_range.stop, info.payload_range.stop + 3,
                 info.tlv_range.start, info.tlv_range.start + 3, info.tlv_range.start + 4, info.total_size - 1):
        out.append((f"truncated {size:#x}", truncate(data, size)))
    out.append(("load addr other slot", set_load_addr(data, OTHER_BASE[info.load_addr])))
    out.append(("load addr +0x200", set_load_addr(data, info.load_addr + 0x200)))
    no_flag = bytearray(data)
    no_flag[17] &= ~0x01
    out.append(("ROM_FIXED cleared", bytes(no_flag)))

    sec = struct.pack("<I", info.security_counter)
    out += [
        ("no protected TLVs", rebuild(info, prot=[])),
        ("SEC_CNT twice", rebuild(info, prot=[(0x50, sec), (0x50, sec)])),
        ("SEC_CNT 8 bytes", rebuild(info, prot=[(0x50, sec + bytes(4))])),
        ("unknown protected TLV only", rebuild(info, prot=[(0x60, b"abcd")])),
        ("extra protected TLV", rebuild(info, prot=[(0x60, b"xy"), (0x50, sec)])),
        ("extra unprotected TLV", rebuild(info, prot=[(0x50, sec)], unprot=[(0x10, info.computed_sha256), (0x01, bytes(32))])),
        ("SHA-256 twice", rebuild(info, prot=[(0x50, sec)], unprot=[(0x10, info.computed_sha256)] * 2)),
        ("no unprotected TLVs", rebuild(info, prot=[(0x50, sec)], unprot=[])),
        ("SHA-384 instead", rebuild(info, prot=[(0x50, sec)], unprot=[(0x11, bytes(48))])),
        ("prot size says 0", rebuild(info, prot=[(0x50, sec)], prot_size=0)),
    ]
    # A valid image whose vector table is not the app's.
    vectors = bytearray(info.payload)
    out.append(("SP outside RAM", sign_bytes(bytes(b"\0\0\0\x30" + vectors[4:]), version=info.version,
                                              security_counter=info.security_counter, slot_base=info.load_addr,
                                              slot_size=SLOT_SIZE, header_size=HEADER_SIZE)))
    out.append(("PC even", sign_bytes(bytes(vectors[:4] + bytes([vectors[4] & 0xFE]) + vectors[5:]),
                                      version=info.version, security_counter=info.security_counter,
                                      slot_base=info.load_addr, slot_size=SLOT_SIZE, header_size=HEADER_SIZE)))
    return out


@pytest.mark.parametrize("source", SOURCES)
def test_model_agrees_with_the_firmware(source, good_images, host_image_check, tmp_path):
    data = good_images[source]
    info = read_image(data)
    base, sec = info.load_addr, info.security_counter
    cases, models, names = [], [], []
    for i, (name, image) in enumerate(mutants(data)):
        path = tmp_path / f"{i}.bin"
        path.write_bytes(image)
        right = digest_prefix(info.computed_sha256)
        for slot_base in (base, OTHER_BASE[base]):
            for limit in (SLOT_SIZE, len(image), len(image) - 1, 0x1FF, SLOT_SIZE + 1):
                for floor in (0, sec, sec + 1):
                    for digest in (None, right, right ^ 1):
                        if limit < 0:
                            continue
                        cases.append((path, slot_base, limit, floor, digest))
                        models.append(check_demo_image(image, slot_base=slot_base, limit=limit, floor=floor,
                                                       expected_digest=digest))
                        names.append(f"{name} base={slot_base:#x} limit={limit:#x} floor={floor} digest={digest}")
    firmware = host_image_check.run(cases)
    wrong = [f"{n}: model {m}, firmware {f}" for n, m, f in zip(names, models, firmware) if m != f]
    assert not wrong, f"{len(wrong)} of {len(cases)} cases disagree:\n" + "\n".join(wrong[:20])
    # The cases exercise every result the firmware can give.
    assert set(firmware) == {"OK", "E_MAGIC", "E_LOADADDR", "E_SIZE", "E_TLV", "E_HASH", "E_ROLLBACK", "E_SIG", "E_KEY"}
