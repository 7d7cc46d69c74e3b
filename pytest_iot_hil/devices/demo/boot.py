"""The demo device's boot reports: its BOOT line, its app banner and ``info``.

:class:`DemoBootObserver` is the profile's
:class:`~pytest_iot_hil.protocols.boot.BootObserver` (the ``boot`` fixture);
formats in :mod:`.bootline`.
"""

from __future__ import annotations

from ...protocols.boot import BootObserver
from .bootline import (
    BANNER_PATTERN, BOOT_LINE_PATTERN, INFO_LINE_PATTERN, BootLine, InfoLine, find_boot_lines, parse_boot_line,
    parse_info_line,
)


class DemoBootObserver(BootObserver):
    """Reads boots from the demo device's console (a :class:`~pytest_iot_hil.console.Console`)."""

    def __init__(self, console, *, timeout: float = 10.0, reply_timeout: float = 5.0) -> None:
        self.console = console
        self.timeout = timeout
        self.reply_timeout = reply_timeout

    def wait_for_boot(self, timeout: float | None = None, *, app: bool = True) -> BootLine:
        """Wait for the bootloader's next BOOT line (and the app's banner); return it parsed."""
        timeout = self.timeout if timeout is None else timeout
        self.console.expect(BOOT_LINE_PATTERN, timeout=timeout)
        line = parse_boot_line(self.console.after)
        if app and line.slot is not None:
            self.console.expect(BANNER_PATTERN, timeout=timeout)
        return line

    def info(self) -> InfoLine:
        """Ask the running firmware (app, or bootloader in recovery) for its ``info`` line."""
        self.console.sendline("info")
        self.console.expect(INFO_LINE_PATTERN, timeout=self.reply_timeout)
        return parse_info_line(self.console.after)

    def running(self) -> InfoLine:
        return self.info()

    def history(self, transcript: str) -> list[BootLine]:
        return find_boot_lines(transcript)
