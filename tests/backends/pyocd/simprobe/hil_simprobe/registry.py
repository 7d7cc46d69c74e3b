"""Which simulated probes are plugged in.

Two sources, both seen by ``pyocd list`` and ``ConnectHelper``:

* the JSON file named by ``HIL_SIMPROBES`` (every process that reads it,
  pytest-xdist workers included, sees the same bench)::

      {"probes": [{"unique_id": "SIM0001", "board": "memory"},
                  {"unique_id": "SIMQ0001", "board": "qemu", "console": "/tmp/b1.tty"}]}

* probes attached in this process with :func:`attached`.

Like a USB probe, one probe serves one session at a time, across processes
too: opening takes an exclusive ``flock`` next to the file that the kernel
drops when its holder exits. A board outlives the sessions on it, as a real
one does: it goes when its probe is unplugged (the end of :func:`attached`),
or with the process.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import os
from pathlib import Path
from typing import Any, Iterator

from .debug import Board

ENV = "HIL_SIMPROBES"

_attached: dict[str, dict[str, Any]] = {}
_boards: dict[str, Board] = {}
_open: dict[str, int | None] = {}


class ProbeBusy(Exception):
    pass


_file_cache: dict[tuple[str, int, int], dict[str, dict[str, Any]]] = {}


def _file_specs() -> dict[str, dict[str, Any]]:
    """The bench file's probes, read again only when the file changed (pyOCD asks on every probe lookup)."""
    path = os.environ.get(ENV)
    if not path:
        return {}
    try:
        stat = Path(path).stat()
        key = (path, stat.st_mtime_ns, stat.st_size)
        if key not in _file_cache:
            data = json.loads(Path(path).read_text())
            _file_cache.clear()
            _file_cache[key] = {str(p["unique_id"]): p for p in data.get("probes", []) if "unique_id" in p}
        return _file_cache[key]
    except (OSError, ValueError):
        return {}


def _specs() -> dict[str, dict[str, Any]]:
    return {**_file_specs(), **_attached}


def connected() -> list[str]:
    return list(_specs())


def spec_of(unique_id: str) -> dict[str, Any]:
    return _specs().get(unique_id, {})


def kind_of(unique_id: str) -> str:
    return str(spec_of(unique_id).get("board", "memory"))


def register_level_only(unique_id: str) -> bool:
    return spec_of(unique_id).get("memory_interface") is False


def _lock(unique_id: str) -> int | None:
    path = os.environ.get(ENV)
    if not path or unique_id in _attached:
        return None
    fd = os.open(f"{path}.{unique_id}.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise ProbeBusy(f"simulated probe {unique_id} is in use by another process") from None
    return fd


def open_board(unique_id: str) -> Board:
    from .boards import make_board

    if unique_id in _open:
        raise ProbeBusy(f"simulated probe {unique_id} is already open in this process")
    spec = spec_of(unique_id)
    lock = _lock(unique_id)
    try:
        board = _boards.get(unique_id)
        if board is None:
            board = _boards[unique_id] = make_board(spec)
    except BaseException:
        if lock is not None:
            os.close(lock)
        raise
    _open[unique_id] = lock
    return board


def close_board(unique_id: str) -> None:
    """The session on this probe ended; its board runs on."""
    if unique_id in _open:
        lock = _open.pop(unique_id)
        if lock is not None:
            os.close(lock)


def is_open(unique_id: str) -> bool:
    return unique_id in _open


def board_of(unique_id: str) -> Board | None:
    """The board behind a probe that was opened in this process."""
    return _boards.get(unique_id)


def _unplug(unique_id: str) -> None:
    close_board(unique_id)
    board = _boards.pop(unique_id, None)
    if board is not None:
        board.close()


atexit.register(lambda: [_unplug(uid) for uid in list(_boards)])


@contextlib.contextmanager
def attached(unique_id: str, **spec: Any) -> Iterator[None]:
    """Plug a simulated probe and its board in for the duration of the block (this process only).

    The board is there at once (its serial device node too), before any session.
    """
    from .boards import make_board

    _attached[unique_id] = {"unique_id": unique_id, **spec}
    try:
        _boards[unique_id] = make_board(_attached[unique_id])
        yield
    finally:
        _unplug(unique_id)
        _attached.pop(unique_id, None)
