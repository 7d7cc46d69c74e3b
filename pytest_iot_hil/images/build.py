"""Building images with imgtool, exactly as ``firmware_fixtures/Makefile`` does.

The project's rule is to let imgtool write the format (never hand-craft
headers or TLVs); we only choose its arguments.  imgtool runs as a CLI under the current
interpreter (``python -m imgtool.main``) so the imgtool installed next to this
package is used, whatever ``imgtool`` on ``PATH`` points at, and its errors
come back as text we can quote.

Ed25519 signatures are deterministic (RFC 8032), so ``sign`` of the raw binary
the Makefile signed, with the same key, reproduces the committed
``.signed.bin`` byte for byte; without a key the image is hash-only.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from ..errors import HilError


class ImageBuildError(HilError):
    """imgtool refused to build an image, or could not be run."""


def imgtool_command() -> list[str]:
    """The command line that runs imgtool under this interpreter."""
    return [sys.executable, "-m", "imgtool.main"]


def sign(
    raw_bin: Path,
    out: Path,
    *,
    version: str,
    security_counter: int,
    slot_base: int,
    slot_size: int,
    header_size: int,
    align: int = 8,
    key: str | Path | None = None,
) -> Path:
    """Sign ``raw_bin`` (an objcopy'd binary linked for ``slot_base`` + ``header_size``) into ``out``.

    Same arguments as the Makefile: ``--pad-header`` (the raw binary has no
    room for the header), ``--rom-fixed slot_base`` (sets ROM_FIXED and the
    load address the bootloader compares with the slot), and ``--key`` with
    ``key`` (an Ed25519 PEM; hash-only without one). Returns ``out``.
    """
    raw_bin, out = Path(raw_bin), Path(out)
    if not raw_bin.is_file():
        raise ImageBuildError(f"cannot sign {raw_bin}: the file does not exist (build the firmware first)")
    cmd = imgtool_command() + [
        "sign",
        "--header-size", hex(header_size),
        "--pad-header",
        "--slot-size", hex(slot_size),
        "--rom-fixed", hex(slot_base),
        "--align", str(align),
        "--version", version,
        "--security-counter", str(security_counter),
        *(["--key", str(key)] if key is not None else []),
        str(raw_bin),
        str(out),
    ]  # fmt: skip
    if key is not None and not Path(key).is_file():
        raise ImageBuildError(f"cannot sign {raw_bin}: the key {key} does not exist "
                              "(make one with `imgtool keygen -k KEY.pem -t ed25519`)")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ImageBuildError(f"cannot run imgtool ({' '.join(cmd[:3])}): {exc.strerror}") from None
    if proc.returncode != 0:
        message = (proc.stderr.strip() or proc.stdout.strip() or f"exit status {proc.returncode}").splitlines()
        if "No module named imgtool" in proc.stderr:
            raise ImageBuildError(f"cannot sign {raw_bin}: imgtool is not installed (pip install imgtool==2.5.0)")
        # click puts the actual complaint on the last line ("Error: ...").
        raise ImageBuildError(f"imgtool could not sign {raw_bin} (version {version}, security counter "
                              f"{security_counter}): {message[-1]}")
    return out


def sign_bytes(
    payload: bytes,
    *,
    version: str,
    security_counter: int,
    slot_base: int,
    slot_size: int,
    header_size: int,
    align: int = 8,
    key: str | Path | None = None,
) -> bytes:
    """:func:`sign` for a payload in memory; returns the signed image."""
    with tempfile.TemporaryDirectory(prefix="hil-sign-") as tmp:
        raw = Path(tmp) / "payload.bin"
        raw.write_bytes(payload)
        out = sign(raw, Path(tmp) / "signed.bin", version=version, security_counter=security_counter,
                   slot_base=slot_base, slot_size=slot_size, header_size=header_size, align=align, key=key)
        return out.read_bytes()
