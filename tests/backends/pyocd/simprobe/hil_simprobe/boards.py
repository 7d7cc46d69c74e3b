"""The chips behind a simulated probe.

* :class:`MemoryBoard`: memory and a register file in Python. Nothing runs;
  a reset loads SP and PC from the vector table, as the core would.
* :class:`QemuBoard`: a QEMU Cortex-M machine driven through its gdbstub
  and QMP, with its UART bridged to a pseudo-terminal, so the board has a
  serial device node like a USB board's ``/dev/ttyACM0``. Firmware really
  boots; pyOCD's own code reads and writes the memory of a running device.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import threading
import tty
from pathlib import Path
from typing import Any

from pytest_iot_hil.backends.qemu.gdbstub import GdbRemote
from pytest_iot_hil.backends.qemu.qmp import Qmp
from pytest_iot_hil.backends.qemu.target import _listening_socket, _machine_argv, find_qemu
from pytest_iot_hil.processes import ManagedProcess, make_scratch_dir, remove_scratch_dir
from pytest_iot_hil.protocols.target import TargetDescription

from .debug import Board, MemoryFault, NoResponse


class MemoryBoard(Board):
    """RAM-backed regions, ``(start, size, fill)``; accesses elsewhere fault."""

    def __init__(self, regions: list[tuple[int, int, int]]) -> None:
        self._regions = [(start, bytearray([fill]) * size) for start, size, fill in regions]
        self._regs = [0] * 21
        self._halted = False
        self.steps = 0
        self.reset_count = 0

    def _find(self, address: int, size: int) -> tuple[bytearray, int]:
        for start, mem in self._regions:
            if start <= address and address + size <= start + len(mem):
                return mem, address - start
        raise MemoryFault(address)

    def read(self, address: int, size: int) -> bytes:
        mem, offset = self._find(address, size)
        return bytes(mem[offset : offset + size])

    def write(self, address: int, data: bytes) -> None:
        mem, offset = self._find(address, len(data))
        mem[offset : offset + len(data)] = data

    @property
    def halted(self) -> bool:
        return self._halted

    def halt(self) -> None:
        self._halted = True

    def resume(self) -> None:
        self._halted = False

    def step(self) -> None:
        self.steps += 1

    def read_register(self, regsel: int) -> int:
        return self._regs[regsel] if regsel < len(self._regs) else 0

    def write_register(self, regsel: int, value: int) -> None:
        if regsel < len(self._regs):
            self._regs[regsel] = value & 0xFFFFFFFF

    def reset(self, *, halt: bool) -> None:
        self.reset_count += 1
        self._regs = [0] * 21
        try:
            sp, pc = struct.unpack("<II", self.read(0, 8))
        except MemoryFault:
            sp = pc = 0
        self._regs[13] = self._regs[17] = sp
        self._regs[15] = pc & ~1
        self._regs[16] = 1 << 24  # xPSR.T
        self._halted = halt


class _UartBridge:
    """Copies bytes between QEMU's UART socket and a pty master; the slave is the board's serial port.

    The pty outlives power cycles (as a probe's USB serial port does): :meth:`attach` a new
    QEMU's UART after each power-on. Input sent while the board is off is lost, as on a wire.
    """

    def __init__(self, link: Path | None) -> None:
        self._uart: socket.socket | None = None
        self._qmp: Qmp | None = None
        self._qmp_lock = threading.Lock()
        self.link = link
        self.master = self._slave = -1
        self.device = ""
        self._wake_r, self._wake_w = os.pipe()
        self.plug()
        self._stopping = False
        self._thread = threading.Thread(target=self._run, name=f"uart-bridge {self.device}", daemon=True)
        self._thread.start()

    def plug(self) -> None:
        """The serial device appears (a new pty: a board's USB port enumerating)."""
        self.master, self._slave = os.openpty()
        # Raw, no echo, before anyone opens it: the board's output must not come back as input.
        tty.setraw(self._slave)
        self.device = os.ttyname(self._slave)
        if self.link is not None:
            self.link.unlink(missing_ok=True)
            self.link.symlink_to(self.device)
        os.write(self._wake_w, b"p")

    def unplug(self) -> None:
        """The serial device goes away, with whoever has it open."""
        master, slave, self.master, self._slave = self.master, self._slave, -1, -1
        if self.link is not None:
            self.link.unlink(missing_ok=True)
        os.write(self._wake_w, b"u")
        for fd in (master, slave):
            if fd >= 0:
                os.close(fd)

    def attach(self, uart: socket.socket | None, qmp: Qmp | None, qmp_lock: threading.Lock) -> None:
        self._uart, self._qmp, self._qmp_lock = uart, qmp, qmp_lock
        os.write(self._wake_w, b"w")

    def _run(self) -> None:
        while not self._stopping:
            uart, master = self._uart, self.master
            fds = [self._wake_r] + ([master] if master >= 0 else []) + ([uart] if uart is not None else [])
            try:
                ready, _, _ = select.select(fds, [], [])
            except (OSError, ValueError):
                if self._uart is uart:
                    self._uart = None
                continue
            if self._wake_r in ready:
                os.read(self._wake_r, 64)
                continue
            try:
                if uart is not None and uart in ready:
                    data = uart.recv(4096)
                    if data and master >= 0:
                        os.write(master, data)
                    elif not data and self._uart is uart:
                        self._uart = None  # this QEMU is gone
                if master >= 0 and master in ready:
                    data = os.read(master, 4096)
                    if data and self._uart is not None:
                        self._uart.sendall(data)
                        # QEMU's CMSDK UART polls its chardev again only when
                        # the main loop runs: a QMP command makes it run.
                        with self._qmp_lock:
                            if self._qmp is not None:
                                self._qmp.execute("query-status")
            except Exception:
                if self._uart is uart:
                    self._uart = None

    def close(self) -> None:
        self._stopping = True
        os.write(self._wake_w, b"x")
        self._thread.join(timeout=5)
        self.unplug()
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)


class QemuBoard(Board):
    """A QEMU machine (default ``mps2-an385``) as a board on the bench.

    It powers up held halted with erased flash (``flash``: start, size, read
    as ``erased``), as a blank chip under reset; the debugger programs it and
    resets it to boot. ``console``: where the board's serial device node is
    linked (a stand-in for ``/dev/serial/by-id/...``). :meth:`power_off` and
    :meth:`power_on` are the board's supply: flash survives, nothing else.
    With ``usb_serial=True`` the serial port goes and comes back with the
    power, as a board powered from its USB port takes its serial port along.
    """

    # QEMU 7.2 exits when its gdbstub reads SCS registers an M3 lacks (pyOCD reads CLIDR at
    # connect): the debug logic answers the whole SCS itself.
    _REG_OFFSETS = {**{n: 4 * n for n in range(16)}, 16: 164, 17: 52}

    def __init__(self, *, machine: str = "mps2-an385", flash: tuple[int, int] = (0, 0x100000),
                 erased: int = 0xFF, console: str | None = None, qemu: str = "qemu-system-arm",
                 timeout: float = 10.0, usb_serial: bool = False) -> None:
        self._usb_serial = usb_serial
        description = TargetDescription(name="simprobe-board", backend="qemu", firmware=None,
                                        options={"qemu": qemu})
        self._binary = find_qemu(description)
        self._machine, self._timeout = machine, timeout
        self._flash = flash
        self._saved_flash = bytes([erased]) * flash[1]
        self._scratch: Path | None = make_scratch_dir("simprobe")
        self._qmp_lock = threading.Lock()
        self._proc: ManagedProcess | None = None
        self._gdb: GdbRemote | None = None
        self._qmp: Qmp | None = None
        self._uart: socket.socket | None = None
        self._bridge: _UartBridge | None = None
        #: Power cycles so far.
        self.power_cycles = 0
        try:
            self._bridge = _UartBridge(Path(console) if console else None)
            self._power_up(run=False)
        except BaseException:
            self.close()
            raise

    # -- supply ---------------------------------------------------------------------------
    def _power_up(self, *, run: bool) -> None:
        assert self._scratch is not None and self._bridge is not None
        socks = [_listening_socket() for _ in range(3)]
        try:
            fds = [s.fileno() for s in socks]
            ports = [s.getsockname()[1] for s in socks]
            argv = _machine_argv(self._binary, self._machine,
                                 *(f"socket,fd={fd},server=on,wait=off,nodelay=on" for fd in fds), [])
            self._proc = ManagedProcess(argv, pass_fds=fds, stdout_path=self._scratch / "qemu.log", append=True)
        finally:
            for s in socks:
                s.close()
        self._qmp = Qmp(ports[2], timeout=self._timeout)
        self._gdb = GdbRemote(ports[1], timeout=self._timeout, what="simulated board's gdbstub")
        self._uart = socket.create_connection(("127.0.0.1", ports[0]), timeout=self._timeout)
        self._uart.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._uart.settimeout(None)
        self._gdb.write_memory(self._flash[0], self._saved_flash)
        self._bridge.attach(self._uart, self._qmp, self._qmp_lock)
        if run:
            # Power-on reset from the image now in flash.
            with self._qmp_lock:
                self._qmp.execute("system_reset")
            self._gdb.cont()

    def _power_down(self) -> None:
        if self._bridge is not None:
            self._bridge.attach(None, None, self._qmp_lock)
        with self._qmp_lock:
            links = (self._gdb, self._qmp, self._uart)
            self._gdb = self._qmp = self._uart = None
        for link in links:
            if link is not None:
                try:
                    link.close()
                except OSError:
                    pass
        if self._proc is not None:
            self._proc.kill()
            self._proc = None

    @property
    def powered(self) -> bool:
        return self._proc is not None and self._proc.alive()

    def power_off(self) -> None:
        """Cut power: flash keeps its contents, the rest is gone; the debug port stops answering."""
        if self._gdb is None:
            return
        self._gdb.halt()
        self._saved_flash = self._gdb.read_memory(*self._flash)
        self._power_down()
        if self._usb_serial and self._bridge is not None:
            self._bridge.unplug()

    def power_on(self) -> None:
        if self._gdb is not None:
            return
        self.power_cycles += 1
        if self._usb_serial and self._bridge is not None:
            self._bridge.plug()
        self._power_up(run=True)

    @property
    def console_device(self) -> str:
        assert self._bridge is not None
        return self._bridge.device

    # -- Board ------------------------------------------------------------------------------
    def _paused(self) -> tuple[GdbRemote, bool]:
        gdb = self._gdb
        if gdb is None:
            raise NoResponse("the board has no power")
        was_running = gdb.running
        gdb.halt()
        return gdb, was_running

    def read(self, address: int, size: int) -> bytes:
        gdb, was_running = self._paused()
        try:
            return gdb.read_memory(address, size)
        except Exception:
            raise MemoryFault(address) from None
        finally:
            if was_running:
                gdb.cont()

    def write(self, address: int, data: bytes) -> None:
        gdb, was_running = self._paused()
        try:
            gdb.write_memory(address, data)
        except Exception:
            raise MemoryFault(address) from None
        finally:
            if was_running:
                gdb.cont()

    @property
    def halted(self) -> bool:
        return self._gdb is not None and not self._gdb.running

    def halt(self) -> None:
        if self._gdb is not None:
            self._gdb.halt()

    def resume(self) -> None:
        if self._gdb is not None and not self._gdb.running:
            self._gdb.cont()

    def step(self) -> None:
        if self._gdb is not None and not self._gdb.running:
            self._gdb.step()

    def _registers(self) -> bytearray:
        gdb, _ = self._paused()
        return bytearray(bytes.fromhex(gdb.command(b"g").decode()))

    def read_register(self, regsel: int) -> int:
        offset = self._REG_OFFSETS.get(regsel)
        if offset is None:
            return 0
        return struct.unpack_from("<I", self._registers(), offset)[0]

    def write_register(self, regsel: int, value: int) -> None:
        offset = self._REG_OFFSETS.get(regsel)
        if offset is None or self._gdb is None:
            return
        regs = self._registers()
        struct.pack_into("<I", regs, offset, value & 0xFFFFFFFF)
        self._gdb.command(b"G" + regs.hex().encode())

    def reset(self, *, halt: bool) -> None:
        if self._gdb is None or self._qmp is None:
            raise NoResponse("the board has no power")
        self._gdb.halt()
        with self._qmp_lock:
            self._qmp.execute("system_reset")
        if not halt:
            self._gdb.cont()

    def close(self) -> None:
        self._power_down()
        if self._bridge is not None:
            self._bridge.close()
            self._bridge = None
        if self._scratch is not None:
            remove_scratch_dir(self._scratch)
            self._scratch = None


def make_board(spec: dict[str, Any]) -> Board:
    """A board from a probe's entry in the ``HIL_SIMPROBES`` file."""
    kind = spec.get("board", "memory")
    if kind == "memory":
        regions = spec.get("regions", [[0x0, 0x100000, 0xFF], [0x20000000, 0x40000, 0x00]])
        return MemoryBoard([tuple(r) for r in regions])
    if kind == "qemu":
        flash = spec.get("flash", [0, 0x100000])
        return QemuBoard(machine=spec.get("machine", "mps2-an385"), flash=(flash[0], flash[1]),
                         erased=spec.get("erased", 0xFF), console=spec.get("console"),
                         qemu=spec.get("qemu", "qemu-system-arm"), usb_serial=bool(spec.get("usb_serial")))
    raise ValueError(f"unknown simulated board kind {kind!r} (memory, qemu)")
