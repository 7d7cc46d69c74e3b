"""The UART console: pexpect's API over any pyserial port or URL."""

from .expect import Console, ConsoleClosed, ConsoleTimeout, console_for, open_console

__all__ = ["Console", "ConsoleClosed", "ConsoleTimeout", "console_for", "open_console"]
