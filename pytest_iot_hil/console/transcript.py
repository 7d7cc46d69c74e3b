"""A console's memory of what it received, bounded: the head and the tail, and a count of the rest.

A firmware that floods its UART must not grow the test run's memory or the
JUnit report without bound; the full raw stream still goes to the log file,
written as it arrives. Positions (``mark``) count every byte ever received,
so ``since(mark)`` stays right while the middle is dropped.
"""

from __future__ import annotations

import io

#: Default bound of a transcript, in bytes (``--hil-transcript-limit``).
DEFAULT_LIMIT = 1 << 20


def dropped_line(n: int) -> bytes:
    return b"\n[... %d bytes dropped here: the full output is in the log file ...]\n" % n


class Transcript:
    """Every byte received, as far as ``limit`` allows: the first half and the last half are kept."""

    def __init__(self, limit: int | None = DEFAULT_LIMIT) -> None:
        self.limit = limit
        self._head = bytearray()
        self._tail = bytearray()
        #: Stream position of ``_tail[0]``.
        self._tail_start = 0
        self.total = 0

    @property
    def dropped(self) -> int:
        return self._tail_start - len(self._head)

    def append(self, data: bytes) -> None:
        if self.limit is None:
            self._head += data
            self.total += len(data)
            self._tail_start = self.total
            return
        half = self.limit // 2
        if len(self._head) < half:
            take = data[: half - len(self._head)]
            self._head += take
            data = data[len(take):]
            self._tail_start = len(self._head)
        self._tail += data
        self.total = self._tail_start + len(self._tail)
        keep = self.limit - half
        if len(self._tail) > 2 * keep:  # trim rarely: amortized O(1) per byte
            cut = len(self._tail) - keep
            del self._tail[:cut]
            self._tail_start += cut

    def since(self, mark: int) -> bytes:
        """What arrived from stream position ``mark`` on (a dropped part becomes one line)."""
        parts = []
        head = len(self._head)
        if mark < head:
            parts.append(bytes(self._head[mark:]))
        if self.dropped and mark < self._tail_start:
            parts.append(dropped_line(self._tail_start - max(mark, head)))
        parts.append(bytes(self._tail[max(0, mark - self._tail_start):]))
        return b"".join(parts)

    def last(self, n: int) -> bytes:
        """The last ``n`` bytes received (or fewer, if dropped or not there)."""
        if len(self._tail) >= n or not self._head:
            return bytes(self._tail[-n:]) if n else b""
        return bytes((self._head + self._tail)[-n:])

    def __bytes__(self) -> bytes:
        return self.since(0)

    def __len__(self) -> int:
        return self.total


class BoundedText(io.StringIO):
    """pexpect's match buffers (``buffer_type``), keeping the last ``limit`` characters.

    pexpect keeps everything since the last match in memory (and searches it
    all again with each read): under a flood that grows without end. Patterns
    still see the last ``limit`` characters, far more than any line.
    """

    limit = 256 * 1024

    def write(self, s: str) -> int:
        n = super().write(s)
        if self.tell() > 2 * self.limit:
            keep = self.getvalue()[-self.limit:]
            self.seek(0)
            self.truncate()
            super().write(keep)
        return n
