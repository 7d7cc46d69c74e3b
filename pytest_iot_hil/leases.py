"""Board leases: one process per board, across pytest-xdist workers and across people on one bench host.

A lease is an exclusive ``flock`` on ``<lease dir>/<board>.lock``, held by
an open file for the life of the process. The kernel drops it when the
process ends in any way (a test failure, Ctrl-C, a killed xdist worker), so
a board is never left held by someone who is gone. The file also says who
holds it (``pid``, host, user, xdist worker, since when) for
``pytest --hil-leases`` and for the skip reason of a worker that found every
matching board busy.

The default lease directory is ``<temp>/pytest-iot-hil-leases``, shared by
every user of the host (``--hil-lease-dir`` / ``hil_lease_dir`` to change it).
"""

from __future__ import annotations

import dataclasses
import fcntl
import getpass
import json
import os
import socket
import tempfile
import time
from pathlib import Path
from typing import Iterable

from .errors import HilConfigError


def default_lease_dir() -> Path:
    return Path(tempfile.gettempdir()) / "pytest-iot-hil-leases"


@dataclasses.dataclass(frozen=True)
class Holder:
    """Who holds a lease, as its file says."""

    board: str
    pid: int
    host: str
    user: str
    worker: str
    since: float

    def describe(self) -> str:
        who = f"{self.user}@{self.host} pid {self.pid}" + (f" ({self.worker})" if self.worker else "")
        return f"{who} since {time.strftime('%H:%M:%S', time.localtime(self.since))}"


class Lease:
    """A held board; :meth:`release` (or the end of the process) frees it."""

    def __init__(self, board: str, path: Path, fd: int) -> None:
        self.board = board
        self.path = path
        self._fd: int | None = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)   # closing the file drops the flock

    @property
    def held(self) -> bool:
        return self._fd is not None


class LeaseDir:
    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_lease_dir()

    def _file(self, board: str) -> Path:
        return self.path / f"{board}.lock"

    def _prepare(self) -> None:
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            if self.path == default_lease_dir():
                os.chmod(self.path, 0o1777)   # shared by every user of the bench host, like /tmp
        except PermissionError:
            pass   # another user made it; writable for all
        except OSError as exc:
            raise HilConfigError(f"cannot use the lease directory {self.path} ({exc.strerror}): set "
                                 "--hil-lease-dir to a writable directory") from None

    def try_lease(self, board: str) -> Lease | None:
        """The lease of ``board`` if nobody holds it now, else None (never waits)."""
        self._prepare()
        path = self._file(board)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
        except OSError as exc:
            raise HilConfigError(f"cannot open the lease file {path} ({exc.strerror}): set --hil-lease-dir to "
                                 "a directory every user of this bench can write") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        info = {"board": board, "pid": os.getpid(), "host": socket.gethostname(), "user": _user(),
                "worker": os.environ.get("PYTEST_XDIST_WORKER", ""), "since": time.time()}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)
        return Lease(board, path, fd)

    def lease_one(self, boards: Iterable[str], *, timeout: float, poll_s: float = 0.1,
                  start: int = 0) -> Lease | None:
        """Lease the first free board of ``boards`` (tried from index ``start`` on), waiting up to ``timeout``."""
        order = list(boards)
        if order:
            start %= len(order)
            order = order[start:] + order[:start]
        deadline = time.monotonic() + timeout
        while True:
            for board in order:
                lease = self.try_lease(board)
                if lease is not None:
                    return lease
            if time.monotonic() >= deadline:
                return None
            time.sleep(poll_s)

    def holder(self, board: str) -> Holder | None:
        """Who holds ``board`` now, or None when it is free."""
        path = self._file(board)
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                try:
                    info = json.loads(os.pread(fd, 4096, 0) or b"{}")
                except ValueError:
                    info = {}
                return Holder(board, int(info.get("pid", 0)), str(info.get("host", "?")),
                              str(info.get("user", "?")), str(info.get("worker", "")),
                              float(info.get("since", 0.0)))
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        finally:
            os.close(fd)


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return str(os.getuid())


def parse_board_specs(specs: Iterable[str]) -> tuple[list[str], dict[str, str]]:
    """``--hil-board`` values: board names, and ``key=value`` tag filters (all must match)."""
    names, tags = [], {}
    for spec in specs:
        spec = spec.strip()
        if not spec:
            continue
        if "=" in spec:
            key, _, value = spec.partition("=")
            if not key.strip() or not value.strip():
                raise HilConfigError(f"--hil-board {spec!r}: write a board name or tag=value (e.g. family=nucleo)")
            tags[key.strip()] = value.strip()
        else:
            names.append(spec)
    return names, tags
