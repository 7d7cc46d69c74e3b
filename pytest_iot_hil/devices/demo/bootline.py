"""The lines the demo firmware prints about its boot state.

Formats, as ``firmware_fixtures/src/core/report.c`` writes them (each line
ends with CR LF)::

    BOOT slot=A version=1.0.0 state=CONFIRMED tries=3 floor=1 seq=1 reset=REBOOT rollback=NONE
    BOOT slot=- version=- state=RECOVERY tries=0 floor=1 seq=4 reset=POWER_ON rollback=NO_VALID_IMAGE

    info slot=A version=1.0.0 state=CONFIRMED floor=1 seq=1 A=CONFIRMED,1.0.0,sec=1,tries=3 B=EMPTY,0.0.0,sec=0,tries=0 reset=REBOOT

The bootloader prints the BOOT line once per boot, before jumping; the app
(or the bootloader in recovery) answers ``info`` with the info line.
Versions are ``major.minor.revision``: the journal keeps no build number.
"""

from __future__ import annotations

import dataclasses
import re
from typing import ClassVar

from ...errors import HilError
from ...protocols.boot import BootInfo

#: Values the firmware prints (bootflow.c / journal.c name tables). Parsing
#: accepts any upper-case word so a newer firmware does not break old tests.
STATES = ("EMPTY", "PENDING", "CONFIRMED", "BAD", "NONE", "RECOVERY")
RESET_CAUSES = ("POWER_ON", "REBOOT", "WATCHDOG", "HARDFAULT", "MARK_BAD")
ROLLBACKS = ("NONE", "TRIES_EXHAUSTED", "INVALID", "MARK_BAD", "NO_VALID_IMAGE")

_WORD = r"[A-Z][A-Z0-9_]*"
_VERSION = r"\d+\.\d+\.\d+"
_UINT = r"\d+"

_BOOT_BODY = (
    rf"BOOT slot=(?P<slot>[AB-]) version=(?P<version>{_VERSION}|-) state=(?P<state>{_WORD})"
    rf" tries=(?P<tries>{_UINT}) floor=(?P<floor>{_UINT}) seq=(?P<seq>{_UINT})"
    rf" reset=(?P<reset>{_WORD}) rollback=(?P<rollback>{_WORD})"
)
_INFO_SLOT = rf"(?P<{{n}}_state>{_WORD}),(?P<{{n}}_version>{_VERSION}),sec=(?P<{{n}}_sec>{_UINT}),tries=(?P<{{n}}_tries>{_UINT})"
_INFO_BODY = (
    rf"info slot=(?P<slot>[AB-]) version=(?P<version>{_VERSION}|-) state=(?P<state>{_WORD})"
    rf" floor=(?P<floor>{_UINT}) seq=(?P<seq>{_UINT})"
    rf" A={_INFO_SLOT.format(n='a')} B={_INFO_SLOT.format(n='b')}"
    rf" reset=(?P<reset>{_WORD})"
)

#: Matches one complete BOOT line, for ``console.expect(BOOT_LINE_PATTERN)``.
#: It ends with the line terminator on purpose: on a live console the line
#: arrives byte by byte, and without it ``seq=1`` would match before the ``2``
#: of ``seq=12`` has arrived.  It does not anchor the start of the line: after
#: a power cut the BOOT line can follow half a line of the previous run.
BOOT_LINE_PATTERN = _BOOT_BODY + r"\r?\n"
#: The same for the reply to ``info``.
INFO_LINE_PATTERN = _INFO_BODY + r"\r?\n"
#: The demo app's banner after the BOOT line, e.g. ``app v2.0.0 slot=B``.
BANNER_PATTERN = r"app v(?P<version>\d+\.\d+\.\d+\S*) slot=(?P<slot>[AB])\r?\n"

_BOOT_RE = re.compile(_BOOT_BODY)
_INFO_RE = re.compile(_INFO_BODY)
_BOOT_SCAN_RE = re.compile(_BOOT_BODY + r"(?=\r|\n|\Z)")
_INFO_SCAN_RE = re.compile(_INFO_BODY + r"(?=\r|\n|\Z)")


def _complete(m: re.Match[str], last_field: str, known: tuple[str, ...]) -> bool:
    # A line at the very end of a transcript without its CR LF may have been
    # cut by a reset ("rollback=NO" of NO_VALID_IMAGE): accept it only when
    # its last word is a whole name the firmware prints.
    return m.end() < len(m.string) or m[last_field] in known


class BootLineError(HilError):
    """A BOOT or info line is not in the format the firmware prints."""


def _version(text: str) -> str | None:
    return None if text == "-" else text


def _version_tuple(version: str | None) -> tuple[int, int, int] | None:
    if version is None:
        return None
    major, minor, rev = (int(x) for x in version.split("."))
    return major, minor, rev


def _slot(text: str) -> str | None:
    return None if text == "-" else text


def _check_recovery(m: re.Match[str], line: str, kind: str) -> None:
    # report.c prints slot, version and state together: either a slot with a
    # version, or "- version=- state=RECOVERY".  Anything else is garbled.
    recovery = (m["slot"] == "-", m["version"] == "-", m["state"] == "RECOVERY")
    if any(recovery) and not all(recovery):
        raise BootLineError(
            f"malformed {kind} line {line!r}: slot, version and state must be all real or "
            "'slot=- version=- state=RECOVERY'"
        )


@dataclasses.dataclass(frozen=True)
class BootLine(BootInfo):
    """The bootloader's one-line account of a boot (a :class:`~pytest_iot_hil.protocols.boot.BootInfo`).

    ``slot`` is "A", "B" or None in recovery; ``state`` PENDING, CONFIRMED, ...
    or RECOVERY; ``tries`` what is left after this boot's decrement; ``reset``
    POWER_ON, REBOOT, WATCHDOG, HARDFAULT or MARK_BAD; ``rollback`` NONE,
    TRIES_EXHAUSTED, INVALID, MARK_BAD or NO_VALID_IMAGE.
    """

    floor: int = 0
    seq: int = 0  # seq of the latest journal record (0: none)

    columns: ClassVar[tuple[str, ...]] = ("slot", "version", "state", "tries", "floor", "seq", "reset", "rollback")

    @property
    def version_tuple(self) -> tuple[int, int, int] | None:
        return _version_tuple(self.version)


@dataclasses.dataclass(frozen=True)
class InfoSlot:
    """One slot as the info line reports it (from the latest journal record)."""

    state: str
    version: str  # "0.0.0" for a slot that never held an image
    sec_cnt: int
    tries: int


@dataclasses.dataclass(frozen=True)
class InfoLine(BootInfo):
    """The reply to ``info``: the running image plus the journal's view of both slots.

    As a :class:`~pytest_iot_hil.protocols.boot.BootInfo`: ``state`` is the
    running slot's (NONE when no journal record exists), ``tries`` its tries
    left, ``rollback`` empty (the info line does not say).
    """

    floor: int = 0
    seq: int = 0
    slots: dict[str, InfoSlot] = dataclasses.field(default_factory=dict)  # keys "A" and "B"

    columns: ClassVar[tuple[str, ...]] = ("slot", "version", "state", "tries", "floor", "seq", "reset")


def _boot_line(m: re.Match[str], raw: str) -> BootLine:
    _check_recovery(m, raw, "BOOT")
    return BootLine(
        slot=_slot(m["slot"]),
        version=_version(m["version"]),
        state=m["state"],
        tries=int(m["tries"]),
        floor=int(m["floor"]),
        seq=int(m["seq"]),
        reset=m["reset"],
        rollback=m["rollback"],
        raw=raw,
    )


def _info_line(m: re.Match[str], raw: str) -> InfoLine:
    _check_recovery(m, raw, "info")
    slots = {
        letter: InfoSlot(m[f"{n}_state"], m[f"{n}_version"], int(m[f"{n}_sec"]), int(m[f"{n}_tries"]))
        for letter, n in (("A", "a"), ("B", "b"))
    }
    running = _slot(m["slot"])
    return InfoLine(
        slot=running,
        tries=slots[running].tries if running else 0,
        rollback="",
        version=_version(m["version"]),
        state=m["state"],
        floor=int(m["floor"]),
        seq=int(m["seq"]),
        slots=slots,
        reset=m["reset"],
        raw=raw,
    )


def parse_boot_line(line: str) -> BootLine:
    """Parse one BOOT line (surrounding whitespace and CR LF are ignored)."""
    raw = line.strip()
    m = _BOOT_RE.fullmatch(raw)
    if m is None:
        raise BootLineError(
            f"not a BOOT line: {raw!r} (expected e.g. 'BOOT slot=A version=1.0.0 state=CONFIRMED "
            "tries=3 floor=1 seq=1 reset=REBOOT rollback=NONE')"
        )
    return _boot_line(m, raw)


def find_boot_lines(text: str) -> list[BootLine]:
    """Every complete BOOT line in a transcript, in order.

    Text that only resembles a BOOT line (cut short by a reset) is skipped; a
    last line without CR LF counts only if it ends in a whole rollback name.
    """
    return _find(text, _BOOT_SCAN_RE, "rollback", ROLLBACKS, _boot_line)


def parse_info_line(line: str) -> InfoLine:
    """Parse the reply to ``info`` (surrounding whitespace and CR LF are ignored)."""
    raw = line.strip()
    m = _INFO_RE.fullmatch(raw)
    if m is None:
        raise BootLineError(
            f"not an info line: {raw!r} (expected e.g. 'info slot=A version=1.0.0 state=CONFIRMED floor=1 "
            "seq=1 A=CONFIRMED,1.0.0,sec=1,tries=3 B=EMPTY,0.0.0,sec=0,tries=0 reset=REBOOT')"
        )
    return _info_line(m, raw)


def find_info_lines(text: str) -> list[InfoLine]:
    """Every complete info line in a transcript, in order."""
    return _find(text, _INFO_SCAN_RE, "reset", RESET_CAUSES, _info_line)


def _find(text: str, scan: "re.Pattern[str]", last: str, names, build) -> list:
    """Every match of ``scan`` whose ``last`` field is whole (one of ``names``), built; bad ones skipped."""
    lines = []
    for m in scan.finditer(text):
        if not _complete(m, last, names):
            continue
        try:
            lines.append(build(m, m.group(0)))
        except BootLineError:
            continue
    return lines
