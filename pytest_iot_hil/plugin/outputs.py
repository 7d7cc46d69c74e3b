"""Directories the run writes into, checked before any test: one line when one cannot be used."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from ..errors import HilConfigError


def check_output_dir(path: Path, what: str) -> Path:
    """Make ``path`` (and its parents) and prove it is writable; raise naming ``what`` otherwise."""
    existing = next((p for p in (path, *path.parents) if p.exists()), None)
    if existing is not None and not existing.is_dir():
        where = "is a file" if existing == path else f"lies under {existing}, which is a file"
        raise HilConfigError(f"{what} = {path}: {where}, not a directory: choose a directory (it is created if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".hil-write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise HilConfigError(f"{what} = {path}: cannot write there ({reason}): choose a directory you can write to") from None
    if not os.access(path, os.W_OK | os.X_OK):  # pragma: no cover - root passes the check above anyway
        raise HilConfigError(f"{what} = {path}: not writable: choose a directory you can write to")
    return path
