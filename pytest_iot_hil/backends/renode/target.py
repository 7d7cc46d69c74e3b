"""Renode targets, driven over Renode's monitor (written against Renode's documented interface).

How a target is run (see ``emulator-facts.md`` §1-2 in the design notes):

* Renode is found on PATH, at the inventory's ``renode`` key, under
  ``$RENODE_ROOT``, or in the folder ``renode-run download`` fills.
* It starts headless, ``--disable-xwt --plain --port N --config <own file>``,
  with its own history path, working folder and ``TMPDIR``, and a free port
  chosen here (Renode 1.16 has no port 0).
* The machine comes from the inventory's ``platform`` (a ``.repl``); the
  UART (``uart``, default ``sysbus.usart2``) goes to a server socket terminal
  with telnet mode off (telnet mode would double 0xFF).
* Flash is written with ``sysbus LoadBinary`` from a file, read back with the
  flash peripheral's ``DumpBinary`` (``ReadBytes`` costs ~100 ms per KiB).
  ``macro reset`` only sets the vector table: nothing is reloaded on reset.
* Power off pauses the machine (flash stays as stored); power on clears RAM,
  resets the machine (peripherals fresh) and starts it.
* ``quit``, then a kill after a grace period; the process is a
  ``ManagedProcess``, so it dies with its owner in every case.
"""

from __future__ import annotations

import os
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import serial

from ...console.ports import close_port
from ...errors import BackendNotInstalled, BackendUnavailable, HilConfigError, TargetError
from ...firmware import Segment
from ...processes import ManagedProcess, make_scratch_dir, remove_scratch_dir
from ...protocols.flash import CutDecision, FlashWatch, FlashWatcher
from ...protocols.target import MemoryRegion, TargetDescription
from ..emulated import EmulatedTarget
from .flashwatch import RenodeFlashWatch, hook_script
from .monitor import Monitor, parse_bytes

OPTION_KEYS = {"renode", "platform", "uart", "flash_peripheral", "vector_table", "ram", "timeout", "start_timeout",
               "machine_name", "commands", "flash_watch"}
#: The keys of ``flash_watch = { ... }``: the flash controller's control register, the bits of the value
#: written to it when an operation ends, and a word of RAM-like memory the hook reads to know it is armed.
FLASH_WATCH_KEYS = {"register", "done_mask", "control"}
INSTALL_HINT = ("install Renode: `pip install renode-run && renode-run download` (then it is found), "
                "or unpack the portable release and set `renode = \"/path/to/renode\"`")


def _portable_candidates() -> list[Path]:
    home = Path.home() / ".config" / "renode" / "renode-run.download"
    found = sorted(home.glob("**/renode"), reverse=True) if home.is_dir() else []
    root = os.environ.get("RENODE_ROOT")
    return ([Path(root) / "renode"] if root else []) + found


def find_renode(description: TargetDescription) -> str:
    configured = description.options.get("renode")
    if configured:
        path = shutil.which(str(configured))
        if path is None:
            raise BackendUnavailable(f"{description.source}: target {description.name!r}: `renode = "
                                     f"{configured!r}` is not an executable: {INSTALL_HINT}")
        return path
    path = shutil.which("renode")
    if path:
        return path
    for candidate in _portable_candidates():
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise BackendNotInstalled(f"renode was not found (needed by target {description.name!r}): {INSTALL_HINT}")


def _base(description: TargetDescription) -> Path:
    return Path.cwd() if description.source.startswith("<") else Path(description.source).parent


def validate(description: TargetDescription) -> None:
    where = f"{description.source}: target {description.name!r}"
    unknown = sorted(set(description.options) - OPTION_KEYS)
    if unknown:
        raise HilConfigError(f"{where}: unknown key(s) {', '.join(unknown)} for backend renode "
                             f"(known: {', '.join(sorted(OPTION_KEYS))})")
    platform = description.options.get("platform")
    if not isinstance(platform, str) or not platform:
        raise HilConfigError(f'{where}: add `platform = "path/to/board.repl"` (a Renode platform description)')
    path = _base(description) / platform
    if not path.is_file():
        raise HilConfigError(f"{where}: platform {platform!r} not found ({path})")
    if " " in str(path.resolve()):
        raise HilConfigError(f"{where}: Renode's monitor cannot take a path with spaces ({path.resolve()}): "
                             "move the platform file")
    if description.flash is None:
        raise HilConfigError(f"{where}: add `flash = {{ start = 0x08000000, size = 0x100000 }}`: the Renode "
                             "backend keeps flash across power cycles")
    commands = description.options.get("commands", [])
    if not isinstance(commands, list) or not all(isinstance(c, str) for c in commands):
        raise HilConfigError(f"{where}: `commands` must be a list of monitor commands")
    watch = description.options.get("flash_watch")
    if watch is not None:
        if (not isinstance(watch, dict) or set(watch) != FLASH_WATCH_KEYS
                or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 1 << 32 for v in watch.values())):
            raise HilConfigError(f"{where}: `flash_watch` must be a table of 32-bit integers "
                                 "{ register = 0x40023C10, done_mask = 0x80000000, control = 0x90000000 } "
                                 "(the flash controller's control register, the bits written when an operation "
                                 "ends, a word the platform maps for the watch)")
    find_renode(description)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RenodeTarget(EmulatedTarget, FlashWatcher):
    backend = "renode"

    def __init__(self, description: TargetDescription, *, log_dir: Path | None = None) -> None:
        super().__init__(description)
        opts = description.options
        self._binary = find_renode(description)
        self._platform = (_base(description) / str(opts["platform"])).resolve()
        self._uart = str(opts.get("uart", "sysbus.usart2"))
        self._flash_peripheral = str(opts.get("flash_peripheral", "sysbus.flash"))
        self._vector_table = int(opts.get("vector_table", description.flash.start))
        self._ram = opts.get("ram")
        self._timeout = float(opts.get("timeout", 30.0))
        self._start_timeout = float(opts.get("start_timeout", 90.0))
        self._name = str(opts.get("machine_name", "target"))
        self._extra = list(opts.get("commands", []))
        self._scratch: Path | None = make_scratch_dir(f"renode-{description.name}")
        self._proc: ManagedProcess | None = None
        self.monitor: Monitor | None = None
        self._uart_port = 0
        self._port: Any = None
        self._running = False
        self._log_dir = log_dir
        watch = opts.get("flash_watch")
        self._watch_spec: dict[str, int] | None = dict(watch) if isinstance(watch, dict) else None
        self._watch_hook = False
        self._flash_watch: RenodeFlashWatch | None = None

    # -- the process ---------------------------------------------------------------------
    def _launch(self) -> None:
        assert self._scratch is not None
        (self._scratch / "tmp").mkdir(exist_ok=True)
        config = self._scratch / "renode.config"
        config.write_text(f"[general]\nhistory-path = {self._scratch / 'history'}\n")
        monitor_port, self._uart_port = _free_port(), _free_port()
        argv = [self._binary, "--disable-xwt", "--plain", "--port", str(monitor_port), "--config", str(config)]
        env = {**os.environ, "TMPDIR": str(self._scratch / "tmp")}
        self._proc = ManagedProcess(argv, cwd=str(self._scratch), env=env, stdout_path=self._scratch / "renode.log")
        try:
            self.monitor = Monitor(monitor_port, timeout=self._timeout, connect_timeout=self._start_timeout,
                                   alive=self._proc.alive)
        except TargetError as exc:
            raise TargetError(f"{exc}; Renode said: {self._renode_output()}") from None
        self.monitor.batch([
            f'mach create "{self._name}"',
            f"machine LoadPlatformDescription @{self._platform}",
            f'emulation CreateServerSocketTerminal {self._uart_port} "term" false',
            f"connector Connect {self._uart} term",
            # Only the vector table on every reset: a stock `sysbus LoadELF` here would undo flash updates.
            f'macro reset "cpu VectorTableOffset 0x{self._vector_table:08X}"',
            *self._extra,
        ])

    def _renode_output(self) -> str:
        try:
            return (self._scratch / "renode.log").read_text(errors="replace").strip()[-400:] or "nothing"
        except OSError:
            return "nothing"

    def _load(self, address: int, data: bytes, name: str) -> None:
        assert self._scratch is not None and self.monitor is not None
        path = self._scratch / f"{name}.bin"
        path.write_bytes(data)
        self.monitor.execute(f"sysbus LoadBinary @{path} 0x{address:08X}")

    # -- EmulatedTarget ---------------------------------------------------------------------
    def _power_up(self, flash: bytes | None, others: list[Segment]) -> None:
        if self.monitor is None:
            self._launch()
        region = self.description.flash
        self._load(region.start, flash if flash is not None else bytes([self.description.erased_byte]) * region.size,
                   "flash")
        if isinstance(self._ram, dict):   # RAM starts from nothing, as after a power cut
            self._load(int(self._ram["start"]), bytes(int(self._ram["size"])), "ram")
        for n, seg in enumerate(others):
            self._load(seg.address, seg.data, f"segment{n}")
        reset = ["machine Reset", f"cpu VectorTableOffset 0x{self._vector_table:08X}"]
        if self._watch_hook:   # a watch may have left the core halted
            reset.append("cpu IsHalted false")
        self.monitor.batch(reset)
        if self._port is None:
            try:
                self._port = serial.serial_for_url(f"socket://127.0.0.1:{self._uart_port}", timeout=0)
            except serial.SerialException as exc:
                raise TargetError(f"cannot open Renode's UART terminal on port {self._uart_port}: {exc}") from None
        self.monitor.execute("start")
        self._running = True
        self.boots += 1
        self._console_reconnected()

    def _power_down(self) -> None:
        if self.monitor is not None and self._running:
            self.monitor.execute("pause")
        self._running = False

    def _before_power_down(self) -> None:
        if self._flash_watch is not None:
            self._flash_watch.stop_watching()

    def _dump_flash(self) -> bytes:
        """The whole flash, through the flash peripheral's DumpBinary (offset 0: a non-zero one miscounts)."""
        region = self.description.flash
        assert self.monitor is not None and self._scratch is not None
        path = self._scratch / "flash-dump.bin"
        path.unlink(missing_ok=True)   # DumpBinary rotates an existing file to .1, .2, ...
        self.monitor.execute(f"{self._flash_peripheral} DumpBinary @{path}")
        return path.read_bytes()[: region.size]

    def _read_live(self, address: int, size: int) -> bytes:
        region = self.description.flash
        assert self.monitor is not None and self._scratch is not None
        if address == region.start and size == region.size:
            return self._dump_flash()
        return parse_bytes(self.monitor.execute(f"sysbus ReadBytes 0x{address:08X} {size}"))

    # -- the flash-operation watch (flashwatch.py) ------------------------------------------
    def watch_flash_writes(self, regions: "list[MemoryRegion] | None" = None, *,
                           cut_before: CutDecision | None = None) -> FlashWatch:
        """Record every flash operation in ``regions`` (default: the whole flash); see :mod:`.flashwatch`."""
        if self._watch_spec is None:
            raise HilConfigError(
                f"target {self.name!r} cannot watch flash: add `flash_watch = {{ register = 0x40023C10, "
                f"done_mask = 0x80000000, control = 0x90000000 }}` to [targets.{self.name}] in "
                f"{self.description.source} (the flash controller's control register, the bits the driver writes "
                "when an operation ends, and a word the platform maps for the watch)")
        return RenodeFlashWatch(self, regions or [self.description.flash], cut_before=cut_before)

    def _arm_flash_watch(self, armed: bool) -> None:
        spec = self._watch_spec
        assert spec is not None and self.monitor is not None
        commands = []
        if not self._watch_hook:
            script = hook_script(spec["control"], spec["done_mask"])
            commands.append(f'sysbus AddWatchpointHook 0x{spec["register"]:08X} DoubleWord Write "{script}"')
        commands.append(f"sysbus WriteDoubleWord 0x{spec['control']:08X} {1 if armed else 0}")
        self.monitor.batch(commands)
        self._watch_hook = True

    def _core_halted(self) -> bool:
        assert self.monitor is not None
        return self.monitor.execute("cpu IsHalted").strip().lower() == "true"

    def _pause(self) -> None:
        assert self.monitor is not None
        self.monitor.execute("pause")

    def _resume_core(self) -> None:
        assert self.monitor is not None
        self.monitor.batch(["cpu IsHalted false", "start"])

    def _restore_flash(self, image: bytes) -> None:
        self._load(self.description.flash.start, image, "flash")

    # -- Target -----------------------------------------------------------------------------
    @property
    def powered(self) -> bool:
        return self._running and self._proc is not None and self._proc.alive()

    def reset(self) -> None:
        with self._power_lock:
            if not self.powered:
                raise TargetError(f"target {self.name!r} is powered off: call power_on() first")
            self.monitor.execute("machine Reset")
            self.boots += 1

    def write_memory(self, address: int, data: bytes) -> None:
        with self._power_lock:
            if self.monitor is None:
                raise TargetError(f"target {self.name!r} is not started")
            self._load(address, bytes(data), "write")

    def console_port(self) -> Any:
        if self._port is None:
            raise TargetError(f"target {self.name!r} is not started")
        return self._port

    def close(self) -> None:
        if self._port is not None:
            close_port(self._port)
            self._port = None
        if self.monitor is not None:
            try:
                self.monitor.execute("quit", timeout=2.0)
            except TargetError:
                pass   # it quits by closing the connection
            self.monitor.close()
            self.monitor = None
        if self._proc is not None:
            deadline = time.monotonic() + 3.0
            while self._proc.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
            self._proc.kill()
            self._proc = None
        self._running = False
        if self._scratch is not None:
            remove_scratch_dir(self._scratch)
            self._scratch = None

    def properties(self) -> dict[str, str]:
        props = super().properties()
        props["hil_renode_platform"] = str(self._platform)
        return props
