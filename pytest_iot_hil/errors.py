"""Exceptions raised by pytest-iot-hil.

Every message is meant to be read by a user at a terminal: it names the file,
key, program or target involved and says what to do next.
"""

from __future__ import annotations


class HilError(Exception):
    """Base class of every error this package raises on purpose."""


class HilConfigError(HilError):
    """The inventory, an option or a target description is wrong.

    Found while the run starts, the pytest layer turns it into
    ``pytest.UsageError`` (exit code 4); found by a fixture, it fails that
    test with the message and no traceback.
    """


class BackendUnavailable(HilConfigError):
    """A program or library a backend needs is missing (e.g. ``qemu-system-arm``)."""


class BackendNotInstalled(BackendUnavailable):
    """An emulator the project cannot install for you is absent (Renode): the
    run's hil tests skip with this reason instead of the run stopping."""


class FirmwareError(HilConfigError):
    """A firmware file is missing, unreadable or in a format we cannot load."""


class TargetError(HilError):
    """A target failed while running: the emulator died, a probe vanished, ..."""


class ConsoleError(HilError):
    """Base class of console failures."""
