"""Boot a test image once and turn its UART output, as it streams, into one result per case.

The run ends when the framework says so (Unity's ``OK``/``FAIL``, ztest's
``PROJECT EXECUTION ...``), or when the device misbehaves:

* a case that prints nothing for ``case_timeout`` seconds fails as hung;
* a fault line (the device profile's pattern, e.g. a HardFault with its
  stacked PC and LR) fails the running case, with the PC symbolized from
  the image's ELF;
* the image's start line seen a second time means the device reset;
* the console closing means the target died (the backend says why).

The running case then fails with that reason; every case the ELF lists that
never ran becomes "not run: the device ... during <case>". A summary that
disagrees with the cases seen is reported (the image's ``summary`` item).
"""

from __future__ import annotations

import dataclasses
import re
import time
from pathlib import Path
from typing import Callable

import pexpect

from .elf import ListedCase, Symbolizer
from .parsers import FAILED, PASSED, SKIPPED, CaseEnd, CaseStart, End, Parser, Summary

NOT_RUN = "not-run"
#: After a fault, how long to keep recording what the device says (its handler's reset, a reboot).
AFTER_FAULT_S = 0.5


@dataclasses.dataclass
class CaseResult:
    suite: str
    name: str
    outcome: str  # passed, failed, skipped, not-run
    message: str = ""
    file: str | None = None
    line: int | None = None
    seconds: float | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.suite, self.name

    @property
    def location(self) -> str:
        return f"{Path(self.file).name}:{self.line}" if self.file and self.line else ""


@dataclasses.dataclass
class ImageRun:
    """Everything one boot of a test image showed."""

    image: str
    framework: str
    cases: list[CaseResult]
    #: Why the run ended early (hang, fault, reset, console closed), or None.
    stopped: str | None
    #: What is wrong with the framework's summary (disagrees, or never came), or None.
    summary_problem: str | None
    seconds: float
    transcript: str = ""

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, doc: dict) -> "ImageRun":
        return cls(**{**doc, "cases": [CaseResult(**c) for c in doc["cases"]]})


@dataclasses.dataclass(frozen=True)
class DevicePatterns:
    """How the device announces a start and a fault (from its profile; see ``pytest_hil_unit_patterns``)."""

    boot: str | None = None
    #: A regex with a ``pc`` group (hex) and optionally ``lr`` and ``kind``.
    fault: str | None = None


#: Faults as Zephyr reports them ("Faulting instruction address (r15/pc): 0x...").
ZEPHYR_FAULT = r"Faulting instruction address \(r15/pc\): (?P<pc>0x[0-9a-fA-F]+)"
ZEPHYR_BOOT = r"\*\*\* Booting Zephyr OS"


class _Run:
    def __init__(self, parser: Parser, lister: Callable[[tuple[str, ...]], list[ListedCase]],
                 patterns: DevicePatterns, symbolizer: Symbolizer | None) -> None:
        self.parser = parser
        self.lister = lister
        self.listing: list[ListedCase] = []
        self.symbolizer = symbolizer
        self.boot = re.compile(patterns.boot) if patterns.boot else None
        faults = [p for p in (patterns.fault, ZEPHYR_FAULT) if p]
        self.faults = [re.compile(p) for p in faults]
        self.results: dict[tuple[str, str], CaseResult] = {}
        self.running: tuple[str, str] | None = None
        self.summaries: list[Summary] = []
        self.ended: End | None = None
        self.boots = 0
        self.stopped: str | None = None

    def line(self, text: str) -> None:
        if self.boot is not None and self.boot.search(text):
            self.boots += 1
            if self.boots > 1:
                self.stop("reset", "the device reset")
                return
        for fault in self.faults:
            m = fault.search(text)
            if m:
                self.stop("fault", self._fault_text(m))
                return
        for event in self.parser.feed(text):
            self.event(event)

    def partial(self, text: str) -> None:
        for event in self.parser.feed(text, complete=False):
            self.event(event)

    def event(self, event) -> None:
        if isinstance(event, CaseStart):
            self.running = (event.suite, event.name)
        elif isinstance(event, CaseEnd):
            self.results[(event.suite, event.name)] = CaseResult(
                event.suite, event.name, event.outcome, event.message, event.file, event.line, event.seconds)
            self.running = None
        elif isinstance(event, Summary):
            self.summaries.append(event)
        elif isinstance(event, End):
            self.ended = event

    def _fault_text(self, m: re.Match) -> str:
        groups = m.groupdict()
        kind = groups.get("kind") or "fault"
        parts = []
        for reg in ("pc", "lr"):
            if groups.get(reg):
                value = int(groups[reg], 16)
                named = self.symbolizer.describe(value) if self.symbolizer else f"{value:#010x}"
                parts.append(f"{reg}={value:#010x} in {named}" if not named.startswith("0x") else f"{reg}={named}")
        return f"{kind} ({', '.join(parts)})" if parts else kind

    def stop(self, why: str, what: str) -> None:
        if self.stopped is None:
            self.stopped = what
            self._why = why

    # -- the outcome -------------------------------------------------------------------
    def finish(self, tail: str) -> tuple[list[CaseResult], str | None]:
        suites = {k[0] for k in self.results} | ({self.running[0]} if self.running else set())
        self.listing = self.lister(tuple(sorted(suites)))
        ordered = list(self.results.values())
        seen = set(self.results)
        listed = [(c.suite, c.name) for c in self.listing]
        running = self.running
        if self.stopped is not None and running is None:
            # Plain Unity names a case only after it ran: the one after the last reported ran.
            running = next((k for k in listed if k not in seen), None)
        if self.stopped is not None and running is not None:
            where = self._where(running)
            ordered.append(CaseResult(*running, FAILED, f"{self.stopped} while this case ran; console:\n{tail}",
                                      where.file, where.line))
            seen.add(running)
        during = f"{running[0]}::{running[1]}" if running else "the run"
        for key in listed:
            if key not in seen:
                verb = {"reset": "the device reset during", "fault": "the device crashed during",
                        "hang": "the device hung in", "closed": "the target stopped during"}.get(
                            getattr(self, "_why", ""), "the run ended before it, after")
                reason = f"not run: {verb} {during}" if self.stopped else "not run: the image ended without running it"
                where = self._where(key)
                ordered.append(CaseResult(*key, NOT_RUN, reason, where.file, where.line))
        return ordered, self._summary_problem(ordered)

    def _where(self, key: tuple[str, str]) -> ListedCase:
        return next((c for c in self.listing if (c.suite, c.name) == key), ListedCase(*key))

    def _summary_problem(self, ordered: list[CaseResult]) -> str | None:
        if self.stopped is not None:
            return f"no summary: {self.stopped}"
        if self.ended is None:
            return "the framework printed no final result"
        problems = []
        ran = [c for c in ordered if c.outcome != NOT_RUN]
        for s in self.summaries:
            cases = [c for c in ran if s.suite is None or c.suite == s.suite]
            seen = (len(cases), sum(c.outcome == FAILED for c in cases), sum(c.outcome == SKIPPED for c in cases))
            said = (s.total, s.failures, s.skipped)
            if seen != said:
                what = f"suite {s.suite}" if s.suite else "the run"
                problems.append(f"{what}: the summary says {said[0]} tests, {said[1]} failures, {said[2]} skipped; "
                                f"the output showed {seen[0]}, {seen[1]}, {seen[2]}")
        failed = any(c.outcome == FAILED for c in ran)
        if self.ended.ok == failed:
            problems.append(f"the final verdict is {'OK' if self.ended.ok else 'FAIL'} but "
                            f"{'a case failed' if failed else 'no case failed'}")
        return "; ".join(problems) or None


def run_image(console, parser: Parser, *, listing: Callable[[tuple[str, ...]], list[ListedCase]],
              patterns: DevicePatterns,
              symbolizer: Symbolizer | None, case_timeout: float, total_timeout: float,
              image: str = "", framework: str = "") -> ImageRun:
    """Read ``console`` until the image's run ends (see the module docstring); the target is already started.

    ``listing(suites)`` gives the cases the image holds (from its ELF), asked
    once the run is over with the suite names it printed.
    """
    run = _Run(parser, listing, patterns, symbolizer)
    started = time.monotonic()
    mark = console.mark
    while run.ended is None and run.stopped is None:
        left = total_timeout - (time.monotonic() - started)
        if left <= 0:
            run.stop("hang", f"the run did not end within {total_timeout:.0f} s")
            break
        index = console.expect([r"\r?\n", pexpect.TIMEOUT, pexpect.EOF], timeout=min(case_timeout, left))
        if index == 0:
            run.line(console.before)
        elif index == 1:
            if min(case_timeout, left) < case_timeout:
                continue
            run.partial(console.buffer)
            run.stop("hang", f"no output for {case_timeout:g} s (case_timeout)")
        else:
            death = console.diagnose() if getattr(console, "diagnose", None) else None
            run.stop("closed", "the console closed" + (f": {death}" if death else ""))
    if run.stopped is not None and getattr(run, "_why", "") == "fault":
        # What a fault handler does next (a reset, a reboot banner) belongs in the transcript too.
        try:
            console.expect([pexpect.TIMEOUT, pexpect.EOF], timeout=AFTER_FAULT_S)
        except pexpect.ExceptionPexpect:
            pass
    tail = "\n".join(console.tail(12).splitlines()[-12:])
    cases, problem = run.finish(tail)
    transcript = console.transcript_since(mark).decode("utf-8", errors="replace")
    return ImageRun(image, framework, cases, run.stopped, problem, time.monotonic() - started, transcript)


__all__ = ["NOT_RUN", "PASSED", "FAILED", "SKIPPED", "CaseResult", "DevicePatterns", "ImageRun", "run_image"]
