"""peek_image(): what a slot read back from flash claims, torn or not, without raising."""

from __future__ import annotations

import struct

import pytest

from pytest_iot_hil.images import IMAGE_MAGIC, ImagePeek, peek_image, read_image


def test_peek_agrees_with_read_image_on_every_good_image(good_images):
    for name, data in good_images.items():
        info = read_image(data)
        peek = peek_image(data + b"\xff" * 300)  # a slot: the image, then erased flash
        major, minor, rev, _ = info.version_tuple
        assert peek == ImagePeek(f"{major}.{minor}.{rev}", info.total_size, info.security_counter), name
        assert peek.present


@pytest.mark.parametrize("slot", [b"", b"\xff" * 4096, b"\x00" * 31, struct.pack("<I", IMAGE_MAGIC)])
def test_no_header_gives_empty_fields(slot):
    assert peek_image(slot) == ImagePeek(None, 0, None)
    assert not peek_image(slot).present


def test_torn_images_never_raise(good_images):
    data = next(iter(good_images.values()))
    info = read_image(data)
    for cut in range(32, len(data), 97):
        peek = peek_image(data[:cut])
        assert peek.version is not None and 0 < peek.extent <= cut
    # A header that claims more than the slot holds: the whole slot, no SEC_CNT past its end.
    huge = bytearray(data[:64])
    struct.pack_into("<I", huge, 12, 0x7FFFFFF0)
    assert peek_image(bytes(huge)) == ImagePeek(peek_image(data).version, 64, None)
    # Garbage TLV lengths inside the protected area end the search, not the program.
    garbled = bytearray(data)
    garbled[info.protected_tlv_range.start + 6 : info.protected_tlv_range.start + 8] = b"\xff\xff"
    assert peek_image(bytes(garbled)).security_counter is None
