"""QEMU Cortex-M targets (default: ``mps2-an385``).

How a target is run (QEMU 7.2, hw/arm/mps2.c; timings measured here):

* QEMU starts paused (``-S``) with the UART, the gdbstub and QMP on loopback
  TCP sockets that *we* bind to port 0 and hand over as file descriptors, so
  there is no window in which another xdist worker could take the port.
* Firmware is written through the gdbstub, never with ``-kernel``: QEMU
  restores ``-kernel`` images at every reset, which would undo flash writes.
* The console connects before the core runs, so the banner is never lost.
* A power cycle saves the flash region, kills QEMU and starts a new one with
  that flash written back: RAM and peripherals really start from scratch.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import signal
import socket
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable, Iterator

import serial

from ...console.ports import close_port
from ...errors import BackendUnavailable, HilConfigError, TargetError
from ...firmware import Segment
from ...processes import ManagedProcess, make_scratch_dir, remove_scratch_dir
from ...protocols.flash import CutDecision, FlashWatch, FlashWatcher
from ...protocols.target import MemoryRegion, TargetDescription
from ..emulated import EmulatedTarget
from .flashwatch import QemuFlashWatch
from .gdbstub import GdbRemote
from .qmp import Qmp

DEFAULT_BINARY = "qemu-system-arm"
# Thumb code `loop: stmia r0!, {r2-r9}; cmp r0, r1; bcc loop; bkpt #0`: the
# emulated core fills [r0, r1) with r2..r9 in ~5 ms per MiB, where writing
# 1 MiB of 0xFF through gdbstub `M` packets takes ~80 ms (QEMU 7.2 has no `X`).
_FILL_STUB = bytes.fromhex("a0e8fc038842fbd300be")
_FILL_STEP = 32
# RAM the stub may borrow while the core is halted before boot, per machine.
_SCRATCH_RAM = {"mps2-an385": 0x20000000, "mps2-an386": 0x20000000, "mps2-an500": 0x20000000, "mps2-an511": 0x20000000}
# RAM a power cycle in place clears when the description names none.
_DEFAULT_RAM_SIZE = 0x40000
# Runs of erased bytes shorter than this are written rather than skipped.
_MIN_GAP = 64


def find_qemu(description: TargetDescription) -> str:
    binary = str(description.options.get("qemu", DEFAULT_BINARY))
    path = shutil.which(binary)
    if path is None:
        raise BackendUnavailable(
            f"{binary} was not found on PATH (needed by target {description.name!r}): "
            "install it with `apt-get install qemu-system-arm`, or set `qemu = \"/path/to/qemu-system-arm\"` "
            f"in {description.source}"
        )
    return path


#: Keys of a [targets.NAME] table the QEMU backend understands (plus the common ones).
OPTION_KEYS = {"machine", "qemu", "extra_args", "scratch_ram", "ram", "timeout"}


def validate(description: TargetDescription) -> None:
    where = f"{description.source}: target {description.name!r}"
    unknown = sorted(set(description.options) - OPTION_KEYS)
    if unknown:
        raise HilConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} for backend qemu "
            f"(known: {', '.join(sorted(OPTION_KEYS))}, and the keys every backend has: "
            "backend, device, firmware, flash, regions, load_address, erased_byte, power)"
        )
    timeout = description.options.get("timeout", 10.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout < 3600:
        raise HilConfigError(f"{where}: `timeout` must be a number of seconds between 0 and 3600, not {timeout!r}")
    scratch = description.options.get("scratch_ram")
    if scratch is not None and (isinstance(scratch, bool) or not isinstance(scratch, int) or scratch < 0):
        raise HilConfigError(f"{where}: `scratch_ram` must be an address (e.g. 0x20000000), not {scratch!r}")
    ram = description.options.get("ram")
    if ram is not None and not (isinstance(ram, dict) and set(ram) == {"start", "size"}
                                and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in ram.values())):
        raise HilConfigError(f"{where}: `ram` must be a table like {{ start = 0x20000000, size = 0x40000 }}")
    if ram is not None and (ram["size"] == 0 or ram["start"] + ram["size"] > 1 << 32):
        raise HilConfigError(f"{where}: `ram` = {{ start = {ram['start']:#x}, size = {ram['size']:#x} }} must be a "
                             "non-empty range below 4 GiB (what a power cycle clears, e.g. size = 0x40000)")
    machine = description.options.get("machine")
    if not isinstance(machine, str) or not machine:
        raise HilConfigError(
            f"{description.source}: target {description.name!r} needs `machine = \"mps2-an385\"` "
            "(a QEMU Cortex-M machine name, see `qemu-system-arm -M help`)"
        )
    extra = description.options.get("extra_args", [])
    if not isinstance(extra, list) or not all(isinstance(a, str) for a in extra):
        raise HilConfigError(
            f"{description.source}: target {description.name!r}: `extra_args` must be a list of strings"
        )
    find_qemu(description)


def _machine_argv(binary: str, machine: str, uart: str, gdb: str, qmp: str, extra: list[str]) -> list[str]:
    """The command line of a target's QEMU, around three chardev specifications."""
    return [
        binary, "-M", machine, "-nographic", "-monitor", "none", "-S",
        "-chardev", f"{uart},id=uart0", "-serial", "chardev:uart0",
        # Our own chardev, so QEMU does not add the `nodelay` that its
        # `-gdb tcp::PORT` shorthand implies: say it, or every packet
        # waits ~40 ms for a delayed ACK.
        "-chardev", f"{gdb},id=gdb0", "-gdb", "chardev:gdb0",
        "-chardev", f"{qmp},id=qmp0", "-mon", "chardev=qmp0,mode=control",
        *extra,
    ]


def preflight(description: TargetDescription, timeout: float = 10.0) -> None:
    """Start QEMU once as the backend will (machine, extra arguments), then quit it over QMP.

    Catches a missing machine, a binary that is not QEMU, or extra arguments
    QEMU refuses before any test runs, with QEMU's own words. Costs one QEMU
    start (~30-50 ms).
    """
    binary = find_qemu(description)
    machine = str(description.options["machine"])
    argv = _machine_argv(binary, machine, "null", "null", "stdio", list(description.options.get("extra_args", [])))
    where = f"{description.source}: target {description.name!r}"
    try:
        proc = subprocess.run(argv, input=b'{"execute":"qmp_capabilities"}\n{"execute":"quit"}\n',
                              capture_output=True, timeout=timeout, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise HilConfigError(f"{where}: {binary} -M {machine} did not start and quit within {timeout:.0f} s: "
                             "check `qemu` and `extra_args`") from None
    except OSError as exc:
        raise HilConfigError(f"{where}: cannot run {binary}: {exc.strerror}: fix `qemu` or install "
                             "qemu-system-arm") from None
    said = [line.strip() for line in (proc.stderr or b"").decode(errors="replace").strip().splitlines() if line.strip()]
    greeted = b'"QMP"' in (proc.stdout or b"")
    if proc.returncode != 0 or not greeted:
        reason = "; ".join(said)[:300] if said else (f"exit status {proc.returncode}" if proc.returncode
                                        else "it is not QEMU (no QMP greeting)")
        raise HilConfigError(
            f"{where}: QEMU did not start with machine {machine!r} and extra_args "
            f"{description.options.get('extra_args', [])!r}: {reason} (see `{binary} -M help`; fix `machine`, "
            "`qemu` or `extra_args`)"
        )


def _non_erased_runs(data: bytes, erased: int) -> list[tuple[int, bytes]]:
    """(offset, bytes) of the non-erased data, allowing erased runs shorter than _MIN_GAP inside.

    Searching for the few long erased gaps and taking what lies between is
    ~7x faster than matching the data itself (~1.6 ms per MiB): campaigns plan
    a new flash state at every cut, so no cache would ever hit.
    """
    e = bytes([erased])
    gap = re.compile(re.escape(e) + b"{%d,}" % _MIN_GAP)
    runs: list[tuple[int, bytes]] = []

    def keep(start: int, end: int) -> None:
        chunk = data[start:end]
        stripped = chunk.lstrip(e)
        start += len(chunk) - len(stripped)
        stripped = stripped.rstrip(e)
        if stripped:
            runs.append((start, stripped))

    pos = 0
    for match in gap.finditer(data):
        keep(pos, match.start())
        pos = match.end()
    keep(pos, len(data))
    return runs


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    return sock


class GdbAccess:
    """One QEMU target's gdbstub, for the backend's helpers (the flash watch): one thread at a time.

    Holding :attr:`lock` keeps power changes and other gdbstub users out; it
    is re-entrant, so a helper that holds it may cut power.
    """

    def __init__(self, target: "QemuTarget") -> None:
        self._target = target
        self.lock = target._power_lock
        #: The flash watch trapping stores right now, if any.
        self.watch: FlashWatch | None = None

    @property
    def current(self) -> GdbRemote | None:
        """The live gdbstub link, or ``None`` while powered off."""
        return self._target._gdb

    def require(self) -> GdbRemote:
        """The live link; raises :class:`TargetError` when powered off or QEMU died."""
        return self._target._require_running()


class QemuTarget(EmulatedTarget, FlashWatcher):
    backend = "qemu"

    def __init__(self, description: TargetDescription, *, log_dir: Path | None = None) -> None:
        super().__init__(description)
        self._binary = find_qemu(description)
        self._machine = str(description.options["machine"])
        self._extra_args = list(description.options.get("extra_args", []))
        self._timeout = float(description.options.get("timeout", 10.0))
        scratch = description.options.get("scratch_ram", _SCRATCH_RAM.get(self._machine))
        self._scratch_ram: int | None = int(scratch) if scratch is not None else None
        self._scratch = make_scratch_dir(f"qemu-{description.name}")
        self._proc: ManagedProcess | None = None
        self._gdb: GdbRemote | None = None
        self._qmp: Qmp | None = None
        self._uart_port = 0
        self._port: Any = None
        self._log_dir = log_dir
        #: Why QEMU stopped by itself (its exit status and last words), once it did.
        self._death: str | None = None
        # One thread at a time talks to the gdbstub: a flash watch services
        # watchpoint hits from its own thread while the test drives the console.
        self.gdb_access = GdbAccess(self)
        self._qmp_lock = threading.Lock()

    # -- process ---------------------------------------------------------
    def _launch(self) -> None:
        self._death = None
        uart, gdb, qmp = (_listening_socket() for _ in range(3))
        try:
            fds = [uart.fileno(), gdb.fileno(), qmp.fileno()]
            ports = [s.getsockname()[1] for s in (uart, gdb, qmp)]
            argv = _machine_argv(self._binary, self._machine,
                                 *(f"socket,fd={fd},server=on,wait=off,nodelay=on" for fd in fds), self._extra_args)
            self._proc = ManagedProcess(argv, pass_fds=fds, stdout_path=self._scratch / "qemu.log", append=True)
        finally:
            for s in (uart, gdb, qmp):
                s.close()
        self._uart_port = ports[0]
        try:
            self._qmp = Qmp(ports[2], timeout=self._timeout)
            self._gdb = GdbRemote(ports[1], timeout=self._timeout, what="QEMU gdbstub")
        except TargetError as exc:
            raise TargetError(f"{exc}\n{self._qemu_output()}") from None

    def _qemu_output(self) -> str:
        try:
            text = (self._scratch / "qemu.log").read_text(errors="replace").strip()
        except OSError:
            text = ""
        return f"QEMU ({' '.join(self._proc.argv[:3]) if self._proc else self._binary}) said: {text}" if text else ""

    def diagnose(self) -> str | None:
        """Why the target stopped answering, if QEMU exited by itself (a lockup abort, a crash).

        Names QEMU's exit status and its last lines, and keeps its whole log
        in the run's log directory (the scratch directory goes at teardown).
        """
        proc = self._proc
        if self._death is None and proc is not None and not proc.alive():
            self._death = self._describe_death(proc)
        return self._death

    def _describe_death(self, proc: ManagedProcess) -> str:
        status = proc.popen.returncode
        how = f"status {status}"
        if status is not None and status < 0:
            try:
                how = f"signal {signal.Signals(-status).name} (status {status})"
            except ValueError:
                pass
        try:
            log = (self._scratch / "qemu.log").read_text(errors="replace") if self._scratch else ""
        except OSError:
            log = ""
        lines = [line.rstrip() for line in log.strip().splitlines() if line.strip()]
        kept = ""
        if log and self._log_dir is not None:
            try:
                self._log_dir.mkdir(parents=True, exist_ok=True)
                path = self._log_dir / f"qemu-{self.name}-{proc.pid}.log"
                path.write_text(log)
                kept = f"; QEMU's whole log: {path}"
            except OSError:
                pass
        # Its own complaint ("qemu: fatal: Lockup: ...") says more than the register dump after it.
        important = [line for line in lines if re.search(r"qemu|fatal|error|abort|warning", line, re.IGNORECASE)]
        said = " | ".join(important[-3:] or lines[-6:]) or "nothing"
        return f"QEMU (pid {proc.pid}) exited by itself with {how}; it said: {said}{kept}"

    def _shutdown_process(self) -> None:
        if self._proc is not None and not self._proc.alive():
            self.diagnose()  # it died on its own: say why, and keep its log
        if self._port is not None:
            close_port(self._port)
            self._port = None
        for link in (self._gdb, self._qmp):
            if link is not None:
                link.close()
        with self._qmp_lock:
            self._gdb = self._qmp = None
        if self._proc is not None:
            self._proc.kill()
            self._proc = None

    def _require_running(self) -> GdbRemote:
        if self._proc is None or self._gdb is None:
            raise TargetError(f"target {self.name!r} is powered off: call power_on() first")
        if not self._proc.alive():
            raise TargetError(f"target {self.name!r} stopped: {self.diagnose()}")
        return self._gdb

    # -- the machine's life (EmulatedTarget) ---------------------------------------
    def _power_up(self, flash: bytes | None, others: list[Segment]) -> None:
        region = self.description.flash
        segments = ([Segment(region.start, flash)] if flash is not None else []) + list(others)
        self._boot(segments)

    def _power_down(self) -> None:
        self._shutdown_process()

    def _before_power_down(self) -> None:
        watch = self.gdb_access.watch
        if watch is not None:
            # Its watchpoints die with this QEMU: a later power-on must not
            # look like a watch that is still trapping stores.
            watch.stop_watching()

    def _read_live(self, address: int, size: int) -> bytes:
        with self._paused() as gdb:
            return gdb.read_memory(address, size)

    def _fill(self, gdb: GdbRemote, start: int, size: int, byte: int) -> bool:
        """Fill memory by running a stub on the halted core; False if not possible."""
        stub = self._scratch_ram
        if stub is None or size % _FILL_STEP or start < stub + len(_FILL_STUB) and stub < start + size:
            return False
        word = int.from_bytes(bytes([byte]) * 4, "little")
        gdb.write_memory(stub, _FILL_STUB)
        gdb.set_registers({0: start, 1: start + size, 15: stub, 25: 1 << 24,
                           **{r: word for r in range(2, 10)}})
        gdb.run_until(stub + len(_FILL_STUB) - 2, self._timeout)
        # Leave RAM as at power-on; system_reset restores the registers.
        gdb.write_memory(stub, bytes(len(_FILL_STUB)))
        return True

    def _write_flash_image(self, gdb: GdbRemote, seg: Segment) -> None:
        """Write a whole-flash image, skipping long runs of erased bytes after a fill."""
        erased = self.description.erased_byte
        if not self._fill(gdb, seg.address, len(seg.data), erased):
            gdb.write_memory(seg.address, seg.data)
            return
        for offset, chunk in _non_erased_runs(seg.data, erased):
            gdb.write_memory(seg.address + offset, chunk)

    def _boot(self, segments: list[Segment]) -> None:
        # A QEMU that died (or a half-started one) is reaped before the next
        # launch: its sockets, its process entry and its log must not leak.
        self._shutdown_process()
        self._launch()
        gdb = self._require_running()
        flash = self.description.flash
        for seg in segments:
            if flash is not None and seg.address == flash.start and len(seg.data) == flash.size:
                self._write_flash_image(gdb, seg)
            else:
                gdb.write_memory(seg.address, seg.data)
        # QEMU drops UART output while no client is connected: connect first.
        try:
            self._port = serial.serial_for_url(self.console_url, timeout=0)
        except serial.SerialException as exc:
            raise TargetError(f"cannot open QEMU's UART socket: {exc}") from None
        # The core latched SP and PC from an empty vector table at start-up:
        # reset it now that the image is in place, then let it run.
        with self._qmp_lock:
            self._qmp.execute("system_reset")
        gdb.cont()
        self.boots += 1
        self._console_reconnected()

    def close(self) -> None:
        self._shutdown_process()
        if self._scratch is not None:
            remove_scratch_dir(self._scratch)
            self._scratch = None

    # -- power and reset ---------------------------------------------------
    @property
    def powered(self) -> bool:
        return self._proc is not None and self._proc.alive()

    def reset(self) -> None:
        with self._power_lock:
            self._require_running()
            with self._qmp_lock:
                self._qmp.execute("system_reset")
            self.boots += 1

    def boot_flash_state(self, flash_image: bytes, *, on_stopped: Callable[[], object] | None = None) -> None:
        """Power the target on from exactly ``flash_image``, reusing the emulator.

        Equivalent to a power cycle with that flash: RAM is cleared, the
        machine and its peripherals are reset. Much cheaper than a new QEMU
        process: campaigns boot thousands of states this way.
        """
        flash = self.description.flash
        if flash is None or len(flash_image) != flash.size:
            raise TargetError(f"boot_flash_state needs exactly {flash.size if flash else 0} bytes of flash image")
        with self._power_lock:
            if not self.powered:
                if on_stopped is not None:
                    on_stopped()
                self.write_flash(flash_image)
                self.power_on()
                return
            gdb = self._require_running()
            gdb.halt()  # QEMU hands the UART's bytes to the link as the core stores them
            if on_stopped is not None:
                on_stopped()
            # A core stopped in WFI stays asleep after the gdbstub moves its PC: the fill stub
            # would wait for the firmware's next wake-up interrupt (50 ms for the demo app).
            # A reset wakes it; the one after the writes boots the new flash.
            with self._qmp_lock:
                self._qmp.execute("system_reset")
            self._write_flash_image(gdb, Segment(flash.start, bytes(flash_image)))
            ram = self._ram_region()
            if ram is not None and not self._fill(gdb, ram[0] + 64, ram[1] - 64, 0):
                gdb.write_memory(ram[0] + 64, bytes(ram[1] - 64))
            if ram is not None:
                gdb.write_memory(ram[0], bytes(64))
            with self._qmp_lock:
                self._qmp.execute("system_reset")
            gdb.cont()
            self.boots += 1

    def _ram_region(self) -> tuple[int, int] | None:
        """(start, size) of the RAM a power cycle clears (the stub lives in its first 64 bytes)."""
        ram = self.description.options.get("ram")
        if isinstance(ram, dict):
            return int(ram["start"]), int(ram["size"])
        if self._scratch_ram is not None:
            return self._scratch_ram, _DEFAULT_RAM_SIZE
        return None

    def watch_flash_writes(self, regions: "list[MemoryRegion] | None" = None, *,
                           cut_before: CutDecision | None = None) -> FlashWatch:
        """Trap writes into ``regions`` (default: the whole flash); see :class:`.flashwatch.QemuFlashWatch`."""
        if regions is None:
            if self.description.flash is None:
                raise TargetError(f"target {self.name!r} describes no flash region to watch")
            regions = [self.description.flash]
        return QemuFlashWatch(self.gdb_access, self, regions, cut_before=cut_before)

    # -- memory ------------------------------------------------------------
    @contextlib.contextmanager
    def _paused(self) -> Iterator[GdbRemote]:
        """The gdbstub, with the core halted (and resumed after, if it ran)."""
        with self._power_lock:
            gdb = self._require_running()
            was_running = gdb.running
            # If a watchpoint hit wins the race with this halt, the store
            # re-executes and traps again after we continue.
            try:
                gdb.halt()
                yield gdb
            except TargetError as exc:
                death = None if self._proc is None or self._proc.alive() else self.diagnose()
                if death is None:
                    raise
                raise TargetError(f"{exc}: {death}") from None
            finally:
                if was_running and self._gdb is gdb and self._proc is not None and self._proc.alive():
                    gdb.cont()

    def write_memory(self, address: int, data: bytes) -> None:
        with self._paused() as gdb:
            gdb.write_memory(address, data)

    # -- console -----------------------------------------------------------
    def console_port(self) -> Any:
        self._require_running()
        return self._port

    def after_console_send(self) -> None:
        # QEMU 7.2's CMSDK UART does not wake the chardev when the guest
        # enables its receiver, so input sent right after boot can sit in
        # the socket for up to 1 s. Any QMP command runs the main loop,
        # which polls the chardev again (measured: 1,000 ms -> 2 ms).
        qmp = self._qmp
        if qmp is None:
            return
        try:
            with self._qmp_lock:
                qmp.execute("query-status")
        except TargetError:
            pass  # powered off meanwhile: nothing to wake

    @property
    def console_url(self) -> str:
        return f"socket://127.0.0.1:{self._uart_port}"

    def properties(self) -> dict[str, str]:
        props = super().properties()
        props["hil_qemu_machine"] = self._machine
        return props
