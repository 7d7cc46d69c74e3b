"""The UART console: pexpect's API over any pyserial port or URL."""

from .console import Console, ConsoleClosed, ConsoleTimeout, open_console

__all__ = ["Console", "ConsoleClosed", "ConsoleTimeout", "open_console"]
