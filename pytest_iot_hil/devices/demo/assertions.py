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
