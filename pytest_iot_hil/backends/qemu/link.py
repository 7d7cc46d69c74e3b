"""Loopback TCP connections to QEMU's control sockets."""

from __future__ import annotations

import socket

from ...errors import TargetError


def connect(port: int, *, timeout: float, what: str) -> socket.socket:
    """Connect to 127.0.0.1:``port`` with TCP_NODELAY set.

    Without TCP_NODELAY every request/reply round trip waits for a delayed
    ACK: 176 ms per gdbstub packet instead of ~0.5 ms (measured with QEMU 7.2).
    """
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    except OSError as exc:
        raise TargetError(f"cannot connect to {what} at 127.0.0.1:{port}: {exc}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock
