"""The trace on disk, shared by every pytest process of a run and across runs.

Every xdist worker collects the campaign itself and must find the very same
cut ids, so the trace is recorded once and read by all: the first process to
take the lock (``fcntl.flock`` on ``<key>.lock``) records it, the others
wait and then read it. Files are written to a temporary name and renamed, so
a reader never sees half a file. The key names the firmware, the procedure
and the target (``Campaign.key``): change any of them and a new trace is made.
"""

from __future__ import annotations

import base64
import json
import os
import zlib
from pathlib import Path
from typing import ContextManager

from ..locks import file_lock
from ..protocols.flash import FlashWrite
from .trace import Mark, Trace

FORMAT = 1


def _writes_to_json(writes) -> list:
    return [[w.index, w.address, w.old.hex(), w.new.hex(), w.region] for w in writes]


def _writes_from_json(rows) -> tuple[FlashWrite, ...]:
    return tuple(FlashWrite(i, a, bytes.fromhex(o), bytes.fromhex(n), r) for i, a, o, n, r in rows)


def trace_to_bytes(trace: Trace) -> bytes:
    doc = {
        "format": FORMAT,
        "flash_start": trace.flash_start,
        "initial": base64.b64encode(zlib.compress(trace.initial, 6)).decode(),
        "writes": _writes_to_json(trace.writes),
        "marks": [[m.name, m.index] for m in trace.marks],
        "seconds": trace.seconds,
    }
    return zlib.compress(json.dumps(doc).encode(), 6)


def trace_from_bytes(data: bytes) -> Trace:
    doc = json.loads(zlib.decompress(data))
    if doc.get("format") != FORMAT:
        raise ValueError(f"trace format {doc.get('format')} is not {FORMAT}")
    return Trace(
        flash_start=doc["flash_start"],
        initial=zlib.decompress(base64.b64decode(doc["initial"])),
        writes=_writes_from_json(doc["writes"]),
        marks=tuple(Mark(name, index) for name, index in doc["marks"]),
        seconds=doc["seconds"],
    )


class TraceCache:
    """Trace files under ``directory`` (pytest's cache dir: ``.pytest_cache/d/hil-campaign``)."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def locked(self, key: str) -> ContextManager[None]:
        """Hold the lock of ``key``: one process records, the others wait for it."""
        return file_lock(self.directory / f"{key}.lock")

    def _path(self, key: str, what: str) -> Path:
        return self.directory / f"{key}.{what}"

    def _read(self, path: Path) -> bytes | None:
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def _write(self, path: Path, data: bytes) -> None:
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)

    def load_trace(self, key: str) -> Trace | None:
        data = self._read(self._path(key, "trace"))
        if data is None:
            return None
        try:
            return trace_from_bytes(data)
        except (ValueError, KeyError, TypeError, zlib.error):
            # An old or damaged file: record again rather than fail the run.
            self._path(key, "trace").unlink(missing_ok=True)
            self._path(key, "recovery").unlink(missing_ok=True)
            return None

    def save_trace(self, key: str, trace: Trace) -> None:
        self._write(self._path(key, "trace"), trace_to_bytes(trace))

    def load_recovery(self, key: str) -> dict[str, tuple[FlashWrite, ...]]:
        """Traced recovery boots, by first-cut id (for second cuts)."""
        data = self._read(self._path(key, "recovery"))
        if data is None:
            return {}
        try:
            doc = json.loads(zlib.decompress(data))
            return {cut: _writes_from_json(rows) for cut, rows in doc.items()}
        except (ValueError, TypeError, zlib.error):
            return {}

    def save_recovery(self, key: str, boots: dict[str, tuple[FlashWrite, ...]]) -> None:
        doc = {cut: _writes_to_json(writes) for cut, writes in boots.items()}
        self._write(self._path(key, "recovery"), zlib.compress(json.dumps(doc).encode(), 6))

    def load_error(self, key: str, run_id: str | None) -> str | None:
        """The message of a failure to record ``key`` earlier in run ``run_id`` (None: none, or another run's)."""
        if run_id is None:
            return None
        data = self._read(self._path(key, "error"))
        try:
            doc = json.loads(data) if data is not None else None
        except ValueError:
            doc = None
        if not isinstance(doc, dict) or doc.get("run") != run_id:
            return None
        return str(doc.get("message", ""))

    def save_error(self, key: str, run_id: str | None, message: str) -> None:
        """Remember that recording ``key`` failed in run ``run_id`` (its other processes re-raise it)."""
        if run_id is not None:
            self._write(self._path(key, "error"), json.dumps({"run": run_id, "message": message}).encode())

    def write_json(self, key: str, what: str, doc: object) -> Path:
        """A side file (e.g. the timeline the report draws); returns its path."""
        path = self._path(key, what)
        self._write(path, json.dumps(doc).encode())
        return path

