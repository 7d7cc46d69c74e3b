"""A Renode monitor simulator, written from the protocol Renode documents (and its sources describe).

It speaks what a client sees on ``renode --port N``: the telnet negotiation
bytes, a banner, the prompt ``(monitor) `` (``(<name>) `` once a machine
exists), the echo of every line, values as ``0x%08X``, byte arrays ten per
line, the monitor's error texts, ``;`` batches that stop at the first
failure, and 0xFF doubled in its output. It keeps a little machine state
(memory words, virtual time) and can be slow or die on a chosen command.

It can also run a little "firmware": flash operations (``flash_ops``) done
the way the demo's STM32F4 driver does them, through the flash controller's
control register (``FLASH_CR`` at 0x40023C10: PG, or SER|SNB then STRT, and
LOCK at the end). Watchpoint hooks (``sysbus AddWatchpointHook ADDR
DoubleWord Write "script"``) run their Python script on each write to their
address, with ``cpu``, ``address``, ``width``, ``value`` and ``self`` (the bus)
in one scope kept between calls, as Renode's WatchpointHookPythonEngine does;
a script that sets ``cpu.IsHalted = True`` stops the firmware until
``cpu IsHalted false`` (and ``start``). The firmware begins its operations
when a byte arrives on its UART (as the demo writes flash when told to).
"""

from __future__ import annotations

import re
import socket
import threading
import time

NEGOTIATION = bytes.fromhex("FFFD00FFFD1FFFFB01FFFB03FFFC22")
BANNER = b"Renode, version 1.16.1.0 (simulated)\r\n\r\n"


class MonitorSim:
    def __init__(self, *, slow: dict[str, float] | None = None, die_on: str | None = None,
                 split_negotiation: bool = True, port: int = 0, flash_ops: list | None = None) -> None:
        self.slow = slow or {}
        self.die_on = die_on
        self.split_negotiation = split_negotiation
        self.machine: str | None = None
        #: Words written with WriteDoubleWord (what a test looks at), and every byte of memory by 4 KiB page.
        self.memory: dict[int, int] = {}
        self.pages: dict[int, bytearray] = {}
        self.flash: tuple[int, int] | None = None
        self.uart: socket.socket | None = None
        self._uart_server: socket.socket | None = None
        self.resets = 0
        self.boots = 0
        self.quit = threading.Event()
        self.virtual_time = 0.0
        self.started = False
        #: Every line received, in order (what the backend sent).
        self.lines: list[str] = []
        #: The firmware's flash operations: ("program", address, bytes) or ("erase", address, size).
        self.flash_ops = list(flash_ops or [])
        self.ops_done = 0
        self.hooks: dict[int, list[tuple[str, dict]]] = {}
        self.cpu = _Cpu()
        self.go = threading.Event()
        self._firmware = threading.Thread(target=self._run_firmware, daemon=True)
        self._firmware.start()
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", port))
        self._server.listen(1)
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    # -- protocol ------------------------------------------------------------------------
    def _send(self, conn: socket.socket, text: str | bytes) -> None:
        data = text.encode("latin-1") if isinstance(text, str) else text
        conn.sendall(data.replace(b"\xff", b"\xff\xff"))   # the monitor doubles IAC in its output

    def _prompt(self) -> str:
        return f"({self.machine or 'monitor'}) "

    def _serve(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        with conn:
            if self.split_negotiation:
                conn.sendall(NEGOTIATION[:4])
                time.sleep(0.01)
                conn.sendall(NEGOTIATION[4:])
            else:
                conn.sendall(NEGOTIATION)
            self._send(conn, BANNER + self._prompt().encode())
            buf = b""
            while True:
                try:
                    chunk = conn.recv(4096)
                except OSError:
                    return
                if not chunk:
                    return
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    text = line.decode().rstrip("\r")
                    self.lines.append(text)
                    self._send(conn, text + "\r\n")   # echo
                    if self.die_on is not None and self.die_on in text:
                        return   # the monitor goes away mid-command
                    if text.strip() in ("quit", "q"):
                        self.quit.set()
                        return
                    for command, delay in self.slow.items():
                        if command in text:
                            time.sleep(delay)
                    out = self._run_line(text)
                    self._send(conn, (out + "\r\n" if out else "") + self._prompt())

    def _run_line(self, line: str) -> str:
        outputs = []
        for command in [c.strip() for c in line.split(";") if c.strip()]:
            out, ok = self._run(command)
            if out:
                outputs.append(out)
            if not ok:
                break   # the first failure skips the rest of the line
        return "\r\n".join(outputs)

    def _run(self, command: str) -> tuple[str, bool]:
        if re.search(r"[&|]{2}", command):
            return f"Could not tokenize here:\r\n{command}\r\n" + " " * command.index("&") + "^", False
        words = command.split()
        if "$" in command:
            name = re.search(r"\$(\w+)", command).group(1)
            return f"No such variable: ${name}", False
        if words[:2] == ["mach", "create"]:
            self.machine = words[2].strip('"') if len(words) > 2 else "machine-0"
            return "", True
        if words[0] == "i" or words[:2] == ["machine", "LoadPlatformDescription"]:
            path = words[-1].lstrip("@")
            if "missing" in path:
                return f"Could not find file '{path}'", False
            if "offline-svd" in path:
                return "Failed to download https://dl.antmicro.com/projects/renode/svd/x.svd", True
            if "broken" in path:
                return "Errors during compilation or loading:\r\nbroken.repl:3:1: syntax error", False
            try:
                found = re.search(r"#\s*flash\s+(0x[0-9a-fA-F]+)\s+(0x[0-9a-fA-F]+)", open(path).read())
            except OSError:
                found = None   # a name only (the monitor tests): nothing to read
            if found:
                self.flash = (int(found.group(1), 16), int(found.group(2), 16))
            return "", True
        if words[:2] == ["emulation", "CreateServerSocketTerminal"]:
            self._uart_server = socket.socket()
            self._uart_server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            self._uart_server.bind(("127.0.0.1", int(words[2])))
            self._uart_server.listen(1)
            threading.Thread(target=self._accept_uart, daemon=True).start()
            return "", True
        if words[0] in ("connector", "macro") or words[:2] == ["cpu", "VectorTableOffset"]:
            return "", True
        if words[:2] == ["sysbus", "AddWatchpointHook"]:
            match = re.fullmatch(r'sysbus AddWatchpointHook (\S+) DoubleWord Write "(.*)"', command)
            if match is None:
                return "There was an error executing command 'sysbus AddWatchpointHook': bad arguments", False
            self.hooks.setdefault(int(match.group(1), 0), []).append((match.group(2), {}))
            return "", True
        if words[:2] == ["cpu", "IsHalted"]:
            if len(words) == 2:
                return str(self.cpu.IsHalted), True
            self.cpu.IsHalted = words[2].lower() == "true"
            return "", True
        if words[:2] == ["sysbus", "LoadBinary"]:
            path, address = words[2].lstrip("@"), int(words[3], 0)
            try:
                data = open(path, "rb").read()
            except OSError:
                return f"Could not find file '{path}'", False
            self._write(address, data)
            return "", True
        if len(words) == 3 and words[1] == "DumpBinary":
            if self.flash is None:
                return f"No such command or device: {words[0]}", False
            with open(words[2].lstrip("@"), "wb") as fh:
                fh.write(self._read(*self.flash))
            return "", True
        if words[:2] == ["machine", "Reset"]:
            self.resets += 1
            return "", True
        if words[:2] == ["sysbus", "WriteDoubleWord"]:
            address, value = int(words[2], 0), int(words[3], 0) & 0xFFFFFFFF
            self.memory[address] = value
            self._write(address, value.to_bytes(4, "little"))
            return "", True
        if words[:2] == ["sysbus", "ReadDoubleWord"]:
            return f"0x{int.from_bytes(self._read(int(words[2], 0), 4), 'little'):08X}", True
        if words[:2] == ["sysbus", "ReadBytes"]:
            start, count = int(words[2], 0), int(words[3], 0)
            data = list(self._read(start, count))
            rows = [", ".join(f"0x{b:02X}" for b in data[i:i + 10]) for i in range(0, len(data), 10)]
            return "[\r\n" + ",\r\n".join(rows) + "\r\n]", True
        if words[:2] == ["emulation", "RunFor"]:
            if self.started:
                return ("There was an error executing command 'emulation RunFor': This operation is not available "
                        "when emulation is already started"), False
            value = words[2].strip('"')
            match = re.search(r"(\d+)(?:\.(\d+))?", value)   # Renode's unanchored pattern
            self.virtual_time += float(match.group(0)) if match else 0.0
            return "", True
        if command in ("start", "s"):
            self.started = True
            self.boots += 1
            self._uart_say(f"sim boot {self.boots} flash={self._read(self.flash[0], 4).hex() if self.flash else '-'}\r\n")
            return "", True
        if command in ("pause", "p"):
            self.started = False
            return "", True
        if command == "echo-ff":   # an output byte 0xFF, doubled on the wire
            return "\xff", True
        if words[0] == "help":
            return "Available commands:\r\n  help\r\n  mach", True
        return f"No such command or device: {words[0]}", False

    # -- a little machine ------------------------------------------------------------------
    def ReadDoubleWord(self, address: int) -> int:   # what a hook's `self` (the bus) offers
        return int.from_bytes(self._read(address, 4), "little")

    def _bus_write32(self, address: int, value: int) -> None:
        self._write(address, value.to_bytes(4, "little"))
        for script, scope in self.hooks.get(address, []):
            scope.update(cpu=self.cpu, address=address, width="DoubleWord", value=value, self=self)
            exec(script, scope)

    def _wait_to_run(self) -> bool:
        while not self.quit.is_set():
            if self.started and not self.cpu.IsHalted:
                return True
            time.sleep(0.002)
        return False

    def _run_firmware(self) -> None:
        cr = 0x40023C10
        while not self.go.wait(0.05):
            if self.quit.is_set():
                return
        while self.ops_done < len(self.flash_ops) and self._wait_to_run():
            kind, address, arg = self.flash_ops[self.ops_done]
            if kind == "program":
                self._bus_write32(cr, 0x201)              # PSIZE x32 | PG
                self._write(address, bytes(arg))         # the stores
            else:
                self._bus_write32(cr, 0x202)              # PSIZE x32 | SER (| SNB)
                self._bus_write32(cr, 0x10202)            # ... | STRT: the controller erases
                self._write(address, b"\xff" * arg)
            self.ops_done += 1
            self._bus_write32(cr, 0x80000000)             # LOCK: the operation is over
            time.sleep(0.005)

    def _write(self, address: int, data: bytes) -> None:
        for i, byte in enumerate(data):
            page = self.pages.setdefault((address + i) >> 12, bytearray(4096))
            page[(address + i) & 0xFFF] = byte

    def _read(self, address: int, size: int) -> bytes:
        out = bytearray()
        for a in range(address, address + size):
            page = self.pages.get(a >> 12)
            out.append(page[a & 0xFFF] if page else 0)   # unmapped reads 0, as in Renode
        return bytes(out)

    def _accept_uart(self) -> None:
        try:
            self.uart, _ = self._uart_server.accept()
        except OSError:
            return
        while True:
            try:
                data = self.uart.recv(256)
            except OSError:
                return
            if not data:
                return
            self.go.set()

    def _uart_say(self, text: str) -> None:
        for _ in range(100):
            if self.uart is not None:
                self.uart.sendall(text.encode())
                return
            time.sleep(0.01)

    def close(self) -> None:
        for sock in (self._server, self._uart_server, self.uart):
            try:
                if sock is not None:
                    sock.close()
            except OSError:
                pass


class _Cpu:
    """What a hook's ``cpu`` offers here: the halt flag."""

    def __init__(self) -> None:
        self.IsHalted = False
