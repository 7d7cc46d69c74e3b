"""changed_span(): the words a flash watch records as one write (both emulator backends use it)."""

import random

from pytest_iot_hil.backends.emulated import changed_span


def _bytewise(before: bytes, after: bytes):
    if before == after:
        return None
    first = next(i for i in range(len(after)) if after[i] != before[i])
    last = next(i for i in range(len(after) - 1, -1, -1) if after[i] != before[i])
    return first & ~3, min(len(after), (last | 3) + 1)


def test_whole_words_around_every_change():
    assert changed_span(b"\xff" * 16, b"\xff" * 16) is None
    assert changed_span(b"\xff" * 16, b"\xff" * 5 + b"\x00" + b"\xff" * 10) == (4, 8)
    assert changed_span(b"\xff" * 0x10000, b"\xff" * 0x1003 + b"\x00" + b"\xff" * 0xEFFB + b"\x00") == (0x1000, 0x10000)


def test_the_same_answer_as_a_byte_by_byte_scan():
    rng = random.Random(7)
    for _ in range(500):
        size = rng.choice([12, 4096, 4100, 10000, 1 << 16])
        before = rng.randbytes(size)
        after = bytearray(before)
        for _ in range(rng.choice([0, 1, 2, 5])):
            after[rng.randrange(size)] ^= 1 + rng.randrange(255)
        assert changed_span(before, bytes(after)) == _bytewise(before, bytes(after))
