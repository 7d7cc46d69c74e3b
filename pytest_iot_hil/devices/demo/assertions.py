"""Assertions that read the demo firmware's own formats (its journal)."""

from __future__ import annotations


def assert_journal_matches(info, journal) -> None:
    """The device's own report (its ``info`` line) agrees with the journal decoded from memory.

    ``info`` is an :class:`~pytest_iot_hil.devices.demo.bootline.InfoLine` (from
    ``boot.info()``), ``journal`` a :class:`~pytest_iot_hil.devices.demo.journal.Journal`
    read from the target: two independent views of one state must agree.
    """
    latest = journal.latest
    problems = []
    if latest is None:
        if info.seq != 0:
            problems.append(f"the device reports seq={info.seq}, the journal holds no valid record")
    else:
        for key in ("seq", "floor"):
            if getattr(info, key) != getattr(latest, key):
                problems.append(f"{key}: device says {getattr(info, key)}, journal says {getattr(latest, key)}")
        for slot, rec in latest.slots.items():
            reported = info.slots[slot]
            seen = (reported.state, reported.version, reported.sec_cnt, reported.tries)
            stored = (rec.state, rec.version, rec.sec_cnt, rec.tries)
            if seen != stored:
                problems.append(f"slot {slot}: device says {seen}, journal says {stored}")
        if info.slot is not None and info.state != latest.slots[info.slot].state:
            problems.append(f"running slot {info.slot}: device says {info.state}, journal says {latest.slots[info.slot].state}")
    if problems:
        records = "\n".join(
            f"  seq={r.seq} valid={r.valid} reason={r.reason} floor={r.floor} "
            + " ".join(f"{k}={v.state},{v.version},tries={v.tries}" for k, v in r.slots.items())
            for r in journal.records
        ) or "  (none)"
        raise AssertionError("console and journal disagree:\n  " + "\n  ".join(problems) + f"\njournal records:\n{records}")


def refusals(source) -> list[tuple[str, str]]:
    """The ``(reason, slot)`` of every ``REFUSED <code> <detail> slot=<S>`` line in ``source``.

    ``source`` is the ``console`` fixture (its whole transcript), bytes or text.
    """
    import re

    if hasattr(source, "transcript"):
        source = source.transcript
    if isinstance(source, (bytes, bytearray)):
        source = bytes(source).decode("utf-8", errors="replace")
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^REFUSED (\S+(?: \S+)?) slot=([AB])\r?$", source, re.M)]


def assert_refused(console, *, reason: str, slot: str | None = None) -> tuple[str, str]:
    """The device said it refused an image for ``reason`` (``"E_SIG"`` or ``"E_SIG bad-signature"``).

    Reads the ``REFUSED`` lines the demo firmware prints when the update
    engine refuses an uploaded image and when the bootloader refuses a slot
    at boot. Returns the matching ``(reason, slot)``.
    """
    seen = refusals(console)
    for said, where in seen:
        if (said == reason or said.startswith(reason + " ")) and (slot is None or where == slot):
            return said, where
    shown = ", ".join(f"{r!r} (slot {s})" for r, s in seen) or "none"
    raise AssertionError(f"the device did not refuse an image for {reason!r}"
                         f"{f' in slot {slot}' if slot else ''}; its refusals: {shown}")
