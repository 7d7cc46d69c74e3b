"""Command-line options, their ini twins and environment fallbacks."""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import pytest

SCOPES = ("function", "module", "session")


def addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil", "hardware-in-the-loop (pytest-iot-hil)")
    group.addoption(
        "--hil", action="store_true", default=None,
        help="run tests marked `hil` against a target (ini: hil; env: PYTEST_HIL=1). "
        "Without it those tests are skipped and the plugin does nothing else.",
    )
    group.addoption("--hil-target", metavar="NAME", default=None,
                    help="target from the inventory to run on (default: the inventory's default_target, "
                    "else its first target, else the built-in qemu-mps2-an385) (ini: hil_target)")
    group.addoption("--hil-board", metavar="NAME|TAG=VALUE", action="append", default=None,
                    help="lease a board of the inventory: by name, or by tag (several: all must match); each "
                    "xdist worker leases a different one (ini: hil_board)")
    group.addoption("--hil-lease-timeout", metavar="SECONDS", type=float, default=None,
                    help="how long to wait for a matching board to become free before skipping (default 60) "
                    "(ini: hil_lease_timeout)")
    group.addoption("--hil-lease-dir", metavar="DIR", default=None,
                    help="where board leases are held (default: <temp>/pytest-iot-hil-leases, shared by the "
                    "host's users) (ini: hil_lease_dir)")
    group.addoption("--hil-leases", action="store_true", default=False,
                    help="show who holds which board of the inventory, and exit")
    group.addoption("--hil-config", metavar="PATH", default=None,
                    help="TOML inventory of targets (default: hil.toml in the rootdir when present) (ini: hil_config)")
    group.addoption("--hil-firmware", metavar="PATH", default=None,
                    help="firmware image (.elf or .bin) the target boots, overriding the inventory (ini: hil_firmware)")
    group.addoption("--hil-log-dir", metavar="DIR", default=None,
                    help="where per-test UART transcripts are written (default: hil-logs in the rootdir) (ini: hil_log_dir)")
    group.addoption("--hil-scope", choices=SCOPES, default=None,
                    help="how long one booted target is reused: a fresh one per test (function, default), "
                    "or one per module/session, reset between tests (ini: hil_scope)")
    group.addoption("--hil-timeout", metavar="SECONDS", type=float, default=None,
                    help="default console expect timeout in seconds (default 10) (ini: hil_timeout)")
    group.addoption("--hil-transcript-limit", metavar="SIZE", default=None,
                    help="most bytes of UART transcript kept per console for the report, e.g. 512K or 4M "
                    "(default 1M; 0 keeps everything): beyond it the head and the tail are kept, the full "
                    "output is in the log file (ini: hil_transcript_limit)")

    parser.addini("hil", "enable hardware-in-the-loop tests (same as --hil)", type="bool", default=False)
    parser.addini("hil_target", "target name (same as --hil-target)", default="")
    parser.addini("hil_config", "inventory file, relative to the rootdir (same as --hil-config)", default="")
    parser.addini("hil_firmware", "firmware override (same as --hil-firmware)", default="")
    parser.addini("hil_board", "boards to lease (same as --hil-board), one per line", type="linelist", default=[])
    parser.addini("hil_lease_timeout", "seconds to wait for a free board (same as --hil-lease-timeout)", default="60")
    parser.addini("hil_lease_dir", "lease directory (same as --hil-lease-dir)", default="")
    parser.addini("hil_log_dir", "transcript directory (same as --hil-log-dir)", default="")
    parser.addini("hil_scope", "function, module or session (same as --hil-scope)", default="function")
    parser.addini("hil_timeout", "default console timeout in seconds (same as --hil-timeout)", default="10")
    parser.addini("hil_transcript_limit", "transcript bytes kept per console (same as --hil-transcript-limit)",
                  default="1M")


@dataclasses.dataclass(frozen=True)
class HilOptions:
    enabled: bool
    target: str | None
    config_path: Path | None
    firmware: Path | None
    log_dir: Path
    scope: str
    timeout: float
    #: Bytes of transcript a console keeps for the report (``None``: everything).
    transcript_limit: int | None = 1 << 20
    #: ``--hil-board`` values (names and tag=value filters), the lease wait and directory.
    boards: tuple[str, ...] = ()
    lease_timeout: float = 60.0
    lease_dir: Path | None = None


def _truthy(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def read(config: pytest.Config) -> HilOptions:
    """Resolve every option: command line, then environment, then ini, then default."""
    from ..errors import HilConfigError

    root = config.rootpath
    opt = config.option
    if not hasattr(opt, "hil"):
        # The core plugin is disabled (-p no:iot_hil): so is everything built on it.
        return HilOptions(False, None, None, None, root / "hil-logs", "function", 10.0)

    enabled = opt.hil
    if enabled is None and os.environ.get("PYTEST_HIL", "").strip():
        enabled = _truthy(os.environ["PYTEST_HIL"])
    if enabled is None:
        enabled = bool(config.getini("hil"))
    if not enabled:
        # Inert: nothing else is read, so nothing else can be an error.
        return HilOptions(False, None, None, None, root / "hil-logs", "function", 10.0)

    def path_of(cli: str | None, ini_name: str) -> Path | None:
        if cli:
            return Path(cli).absolute()
        value = config.getini(ini_name)
        if value:
            p = Path(value)
            return p if p.is_absolute() else root / p
        return None

    config_path = path_of(opt.hil_config, "hil_config")
    if config_path is None and (root / "hil.toml").is_file():
        config_path = root / "hil.toml"

    scope = opt.hil_scope or config.getini("hil_scope") or "function"
    if scope not in SCOPES:
        raise HilConfigError(f"hil_scope = {scope!r} is not one of {', '.join(SCOPES)}")

    timeout_text = opt.hil_timeout if opt.hil_timeout is not None else config.getini("hil_timeout")
    try:
        timeout = float(timeout_text)
        if not (math.isfinite(timeout) and 0 < timeout <= 24 * 3600):
            raise ValueError
    except (TypeError, ValueError):
        raise HilConfigError(f"hil_timeout = {timeout_text!r} must be a positive number of seconds (at most 86400)") from None

    limit_text = opt.hil_transcript_limit if opt.hil_transcript_limit is not None else config.getini("hil_transcript_limit")
    transcript_limit = parse_size(limit_text, "--hil-transcript-limit / hil_transcript_limit")

    boards = tuple(opt.hil_board or config.getini("hil_board") or ())
    lease_text = opt.hil_lease_timeout if opt.hil_lease_timeout is not None else config.getini("hil_lease_timeout")
    try:
        lease_timeout = float(lease_text)
        if not (math.isfinite(lease_timeout) and 0 <= lease_timeout <= 24 * 3600):
            raise ValueError
    except (TypeError, ValueError):
        raise HilConfigError(f"hil_lease_timeout = {lease_text!r} must be a number of seconds (0 to 86400)") from None
    if boards and opt.hil_target:
        raise HilConfigError("--hil-board and --hil-target both choose the target: give one of them")

    return HilOptions(
        enabled=bool(enabled),
        target=opt.hil_target or config.getini("hil_target") or None,
        config_path=config_path,
        firmware=path_of(opt.hil_firmware, "hil_firmware"),
        log_dir=path_of(opt.hil_log_dir, "hil_log_dir") or root / "hil-logs",
        scope=scope,
        timeout=timeout,
        transcript_limit=transcript_limit,
        boards=boards,
        lease_timeout=lease_timeout,
        lease_dir=path_of(opt.hil_lease_dir, "hil_lease_dir"),
    )


_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
#: Smallest transcript bound that still shows a useful head and tail.
MIN_TRANSCRIPT = 4096


def parse_size(text: object, what: str) -> int | None:
    """``"1M"`` -> 1048576 (K, M, G are powers of 1024; a trailing B or iB is allowed); ``0`` -> ``None``."""
    from ..errors import HilConfigError

    value = str(text).strip().upper().removesuffix("IB").removesuffix("B")
    unit = value[-1:] if value[-1:] in ("K", "M", "G") else ""
    number = value[: len(value) - len(unit)].strip()
    if not number.isdigit():
        raise HilConfigError(f"{what} = {text!r} is not a size: write bytes, or a number with K, M or G (e.g. 1M)")
    size = int(number) * _UNITS[unit]
    if size == 0:
        return None
    if size < MIN_TRANSCRIPT:
        raise HilConfigError(f"{what} = {text!r} is below the minimum of {MIN_TRANSCRIPT} bytes "
                             "(use 0 to keep everything)")
    return size
