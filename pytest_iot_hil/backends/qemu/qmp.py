"""A minimal QMP (QEMU Machine Protocol) client over TCP.

Replies are matched by ``id``, not by position: events such as RESET can
arrive before the reply to the command that caused them (seen with QEMU 7.2).
"""

from __future__ import annotations

import itertools
import json
import socket
import time
from typing import Any

from ...errors import TargetError
from .link import connect


class Qmp:
    def __init__(self, port: int, *, timeout: float = 10.0) -> None:
        self._timeout = timeout
        self._sock = connect(port, timeout=timeout, what="QEMU's QMP socket")
        self._buf = b""
        self._ids = itertools.count(1)
        try:
            greeting = self._read_message()
            if "QMP" not in greeting:
                raise TargetError(f"unexpected QMP greeting: {greeting!r}")
            self.execute("qmp_capabilities")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass

    def _read_message(self) -> dict[str, Any]:
        deadline = time.monotonic() + self._timeout
        while b"\n" not in self._buf:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TargetError(f"QEMU's QMP did not answer within {self._timeout:.0f} s")
            self._sock.settimeout(remaining)
            try:
                chunk = self._sock.recv(65536)
            except socket.timeout:
                continue
            except OSError as exc:
                raise TargetError(f"lost the QMP connection to QEMU: {exc}") from None
            if not chunk:
                raise TargetError("QEMU closed its QMP connection (did it exit?)")
            self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)

    def execute(self, command: str, **arguments: Any) -> Any:
        ident = next(self._ids)
        msg: dict[str, Any] = {"execute": command, "id": ident}
        if arguments:
            msg["arguments"] = arguments
        self._sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            reply = self._read_message()
            if "event" in reply:
                continue  # RESET, STOP, ...: nobody asked
            if reply.get("id") != ident:
                continue
            if "error" in reply:
                raise TargetError(f"QMP {command} failed: {reply['error'].get('desc', reply['error'])}")
            return reply.get("return")
