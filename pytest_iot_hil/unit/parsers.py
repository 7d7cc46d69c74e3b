"""Parsers of on-target test output, one per framework, fed line by line as the UART streams.

Formats, as the frameworks print them:

* **Unity** (ThrowTheSwitch, ``unity.c``): one line per case,
  ``file:line:name:PASS`` / ``:FAIL: message`` / ``:IGNORE`` (``: message``),
  optionally followed by `` (N ms)``; at the end ``-----------------------``,
  ``N Tests M Failures K Ignored`` and ``OK`` or ``FAIL``.
* **Unity Fixture**, verbose (``unity_fixture.c``): ``TEST(group, name)``
  printed *without* a line end before the case runs, then `` PASS`` on the
  same line, or the failure ``file:line::FAIL: message`` right after the name;
  ``IGNORE_TEST(group, name)`` for an ignored case; the same summary.
* **Zephyr ztest** (``tc_util.h``, ``ztest_assert.h``): ``Running TESTSUITE
  s``, ``START - test_x``, assertion lines (``Assertion failed at
  file:line: func: message``), `` PASS - test_x in 0.010 seconds`` (also
  ``FAIL``, ``SKIP``), ``TESTSUITE s succeeded`` / ``failed.``, the summary
  block (``SUITE PASS - 100.00% [s]: pass = 2, fail = 0, skip = 0, total =
  2 ...``) and ``PROJECT EXECUTION SUCCESSFUL`` / ``FAILED``.

Lines that match nothing are left alone (they stay in the transcript).
A parser may also be handed the unfinished last line (``complete=False``)
when the device goes quiet: Unity Fixture names a case before running it,
with no line end, so that is the only clue which case hung.
"""

from __future__ import annotations

import dataclasses
import re

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"


@dataclasses.dataclass(frozen=True)
class CaseStart:
    suite: str
    name: str


@dataclasses.dataclass(frozen=True)
class CaseEnd:
    suite: str
    name: str
    outcome: str  # passed, failed, skipped
    message: str = ""
    file: str | None = None
    line: int | None = None
    seconds: float | None = None


@dataclasses.dataclass(frozen=True)
class Summary:
    """What the framework says it ran (``suite`` for a per-suite summary)."""

    total: int
    failures: int
    skipped: int
    ok: bool | None = None
    suite: str | None = None


@dataclasses.dataclass(frozen=True)
class End:
    """The framework's last word: the run is over."""

    ok: bool


Event = CaseStart | CaseEnd | Summary | End


class Parser:
    """Turns output lines into events. ``framework`` names it in messages."""

    framework = "?"

    def feed(self, line: str, *, complete: bool = True) -> list[Event]:
        raise NotImplementedError


def _ms(text: str | None) -> float | None:
    return int(text) / 1000 if text else None


class UnityParser(Parser):
    """Unity and Unity Fixture (verbose); the suite of a plain Unity case is its file's stem."""

    framework = "unity"
    _RESULT = re.compile(
        r"(?P<file>[^:\s][^:]*):(?P<line>\d+):(?P<name>[^:]*):(?P<status>PASS|FAIL|IGNORE)"
        r"(?::\s?(?P<message>.*?))?(?:\s+\((?P<ms>\d+) ms\))?\s*$"
    )
    _FIXTURE = re.compile(r"(?P<ignore>IGNORE_)?TEST\((?P<group>[^,()]+),\s*(?P<name>[^()]+)\)(?P<rest>.*)$")
    _SUMMARY = re.compile(r"(?P<tests>\d+) Tests (?P<failures>\d+) Failures (?P<ignored>\d+) Ignored\s*$")
    _VERDICT = re.compile(r"(OK|FAIL)\s*$")

    def __init__(self) -> None:
        self._fixture: tuple[str, str] | None = None  # the fixture case named last, not yet concluded
        self._summary: Summary | None = None

    @staticmethod
    def _suite_of(file: str) -> str:
        stem = file.replace("\\", "/").rsplit("/", 1)[-1]
        return stem.rsplit(".", 1)[0] if "." in stem else stem

    def feed(self, line: str, *, complete: bool = True) -> list[Event]:
        text = line.strip()
        out: list[Event] = []
        fixture = self._FIXTURE.match(text)
        if fixture:
            group, name = fixture["group"].strip(), fixture["name"].strip()
            if fixture["ignore"]:
                return [CaseEnd(group, name, SKIPPED, "IGNORE_TEST")] if complete else []
            if (group, name) != self._fixture:
                self._fixture = (group, name)
                out.append(CaseStart(group, name))
            if not complete:
                return out
            rest = fixture["rest"].strip()
            if rest.startswith("PASS"):
                self._fixture = None
                ms = re.search(r"\((\d+) ms\)", rest)
                out.append(CaseEnd(group, name, PASSED, seconds=_ms(ms.group(1) if ms else None)))
                return out
            text = rest
            if not text:
                return out
        if not complete:
            return out
        result = self._RESULT.match(text)
        if result:
            if self._fixture is not None:  # TEST(g, n)file:line::FAIL: message
                suite, name = self._fixture
                self._fixture = None
            else:
                suite, name = self._suite_of(result["file"]), result["name"]
            outcome = {"PASS": PASSED, "FAIL": FAILED, "IGNORE": SKIPPED}[result["status"]]
            out.append(CaseEnd(suite, name, outcome, (result["message"] or "").strip(), result["file"],
                               int(result["line"]), _ms(result["ms"])))
            return out
        summary = self._SUMMARY.match(text)
        if summary:
            self._summary = Summary(int(summary["tests"]), int(summary["failures"]), int(summary["ignored"]))
            return out
        verdict = self._VERDICT.match(text)
        if verdict and self._summary is not None:
            ok = verdict.group(1) == "OK"
            out += [dataclasses.replace(self._summary, ok=ok), End(ok)]
            self._summary = None
        return out


class ZtestParser(Parser):
    """Zephyr's ztest (the "new" API's verbose output, the default in Zephyr 3.x)."""

    framework = "ztest"
    _SUITE = re.compile(r"Running TESTSUITE (?P<suite>\S+)")
    _START = re.compile(r"START - (?P<name>\S+)")
    _ASSERT = re.compile(r"Assertion failed at (?P<file>[^:]+):(?P<line>\d+): (?P<func>[^:]+): ?(?P<message>.*)$")
    _RESULT = re.compile(r"(?P<status>PASS|FAIL|SKIP) - (?P<name>\S+) in (?P<seconds>\d+(?:\.\d+)?) seconds")
    _SUITE_END = re.compile(r"TESTSUITE (?P<suite>\S+) (?P<how>succeeded|failed)")
    _SUITE_SUMMARY = re.compile(
        r"SUITE (?:PASS|FAIL|SKIP) - +[\d.]+% \[(?P<suite>[^\]]+)\]: pass = (?P<passed>\d+), fail = (?P<failed>\d+), "
        r"skip = (?P<skipped>\d+), total = (?P<total>\d+)"
    )
    _PROJECT = re.compile(r"PROJECT EXECUTION (?P<how>SUCCESSFUL|FAILED)")

    def __init__(self) -> None:
        self.suite = ""
        self._running: str | None = None
        self._assertion: dict | None = None
        self._more: list[str] = []

    def feed(self, line: str, *, complete: bool = True) -> list[Event]:
        if not complete:
            return []
        text = line.strip()
        if not text:
            return []
        m = self._SUITE.match(text)
        if m:
            self.suite = m["suite"]
            return []
        m = self._START.match(text)
        if m:
            self._running, self._assertion, self._more = m["name"], None, []
            return [CaseStart(self.suite, m["name"])]
        m = self._ASSERT.search(text)
        if m and self._running is not None:
            self._assertion = {"file": m["file"], "line": int(m["line"]), "message": m["message"].strip()}
            return []
        m = self._RESULT.match(text)
        if m:
            outcome = {"PASS": PASSED, "FAIL": FAILED, "SKIP": SKIPPED}[m["status"]]
            where = self._assertion or {}
            message = " ".join([where.get("message", "")] + self._more).strip()
            self._running, self._assertion, self._more = None, None, []
            return [CaseEnd(self.suite, m["name"], outcome, message, where.get("file"), where.get("line"),
                            float(m["seconds"]))]
        m = self._SUITE_SUMMARY.match(text)
        if m:
            return [Summary(int(m["total"]), int(m["failed"]), int(m["skipped"]), suite=m["suite"])]
        m = self._PROJECT.match(text)
        if m:
            return [End(m["how"] == "SUCCESSFUL")]
        if self._assertion is not None and not self._SUITE_END.match(text) and not text.startswith("==="):
            self._more.append(text)  # the assertion's own message, printed on the lines after it
        return []


#: The parsers by framework name (the marker's ``framework=`` also takes a Parser subclass).
FRAMEWORKS: dict[str, type[Parser]] = {"unity": UnityParser, "unity-fixture": UnityParser, "ztest": ZtestParser}
