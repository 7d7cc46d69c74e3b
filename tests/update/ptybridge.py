"""A pty whose other end is a target's UART, for programs that open a serial port by path (smpmgr)."""

from __future__ import annotations

import os
import select
import threading
import tty


class PtyBridge:
    """Copies bytes between a pty and ``port`` (an open pyserial port) until ``close()``; ``path`` is the pty."""

    def __init__(self, port) -> None:
        self.port = port
        self.master, slave = os.openpty()
        tty.setraw(slave)
        self.path = os.ttyname(slave)
        self._slave = slave  # kept open, so the pty stays up between the program's opens
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sock = self.port._socket
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master, sock], [], [], 0.05)
            try:
                if self.master in ready:
                    data = os.read(self.master, 4096)
                    if data:
                        sock.sendall(data)
                if sock in ready:
                    data = sock.recv(4096)
                    if not data:
                        return
                    os.write(self.master, data)
            except OSError:
                return

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        for fd in (self.master, self._slave):
            try:
                os.close(fd)
            except OSError:
                pass
