"""The bare baseline every benchmark here is compared with: a plain
`qemu-system-arm -kernel` boot of the same firmware, timed to its banner."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

BANNER = b"app v1"


def bare_boot(image: Path, banner: bytes = BANNER) -> float:
    """Seconds from starting QEMU to seeing ``banner`` on its UART."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["qemu-system-arm", "-M", "mps2-an385", "-nographic", "-monitor", "none",
         "-serial", "stdio", "-kernel", str(image)],
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    seen = b""
    try:
        while banner not in seen:
            chunk = proc.stdout.read1(256)
            if not chunk:
                raise RuntimeError("bare QEMU exited before printing the banner")
            seen += chunk
        return time.perf_counter() - started
    finally:
        proc.kill()
        proc.wait()
