"""Closing a target's console port, whatever kind it is."""

from __future__ import annotations

import socket
from typing import Any


def close_port(port: Any) -> None:
    """Close a pyserial port; never raises.

    A ``socket://`` port is closed without pyserial's 0.3 s sleep after close
    (meant to let a server accept a quick reconnect): nothing reconnects to an
    emulator being shut down, and the sleep would cost every teardown and
    every power cut 0.3 s.
    """
    sock = getattr(port, "_socket", None)
    if sock is None:
        try:
            port.close()
        except Exception:
            pass
        return
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()
    port._socket = None
    port.is_open = False
