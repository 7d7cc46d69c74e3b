"""The framework parsers against transcripts written from each format's documentation and sources.

Unity: ``unity.c`` (``UnityTestResultsBegin`` prints ``file:line:name:``, then
``PASS``/``FAIL: msg``/``IGNORE``; ``UnityEnd`` prints the breaker line,
``N Tests M Failures K Ignored`` and ``OK``/``FAIL``). Unity Fixture, verbose:
``unity_fixture.c`` (``UnityTestRunner`` prints ``TEST(group, name)`` without a
line end; ``UnityConcludeFixtureTest`` adds `` PASS`` or the failure line;
``UnityIgnoreTest`` prints ``IGNORE_TEST(group, name)``). ztest: Zephyr's
``tc_util.h`` (``Running TESTSUITE``, ``START - ``, `` PASS - x in 0.001
seconds``, ``TESTSUITE x succeeded``/``failed.``, ``PROJECT EXECUTION ...``)
and ``ztest_assert.h`` (``Assertion failed at file:line: func: msg`` and the
user's message on the next line).
"""

from __future__ import annotations

from pytest_iot_hil.unit.parsers import (
    FAILED, PASSED, SKIPPED, CaseEnd, CaseStart, End, Summary, UnityParser, ZtestParser,
)


def feed(parser, text: str) -> list:
    events = []
    for line in text.splitlines():
        events += parser.feed(line)
    return events


UNITY = """\
test/TestProductionCode.c:20:test_FindFunction_WhichIsBroken_ShouldReturnZeroIfItemIsNotInList:FAIL: Expected 0 Was 1
test/TestProductionCode.c:30:test_FindFunction_WhichIsFine:PASS
test/TestProductionCode.c:40:test_Ignored:IGNORE
test/TestProductionCode.c:50:test_IgnoredWithReason:IGNORE: Not done yet
test/TestProductionCode.c:60:test_Timed:PASS (12 ms)
some debug print from the code under test

-----------------------
5 Tests 1 Failures 2 Ignored 
FAIL
"""


def test_unity_cases_summary_and_verdict():
    events = feed(UnityParser(), UNITY)
    cases = [e for e in events if isinstance(e, CaseEnd)]
    assert [(c.suite, c.name, c.outcome) for c in cases] == [
        ("TestProductionCode", "test_FindFunction_WhichIsBroken_ShouldReturnZeroIfItemIsNotInList", FAILED),
        ("TestProductionCode", "test_FindFunction_WhichIsFine", PASSED),
        ("TestProductionCode", "test_Ignored", SKIPPED),
        ("TestProductionCode", "test_IgnoredWithReason", SKIPPED),
        ("TestProductionCode", "test_Timed", PASSED),
    ]
    assert (cases[0].file, cases[0].line, cases[0].message) == ("test/TestProductionCode.c", 20, "Expected 0 Was 1")
    assert cases[3].message == "Not done yet" and cases[4].seconds == 0.012
    assert events[-2:] == [Summary(5, 1, 2, ok=False), End(ok=False)]


def test_unity_ok_run():
    events = feed(UnityParser(), "a.c:1:test_a:PASS\n\n-----------------------\n1 Tests 0 Failures 0 Ignored \nOK\n")
    assert events[-1] == End(ok=True)


def test_a_lone_ok_or_fail_is_not_a_verdict():
    assert feed(UnityParser(), "OK\nFAIL\n") == []


UNITY_FIXTURE = """\
Unity test run 1 of 1
TEST(ProductionCode, FindFunction_WhichIsFine) PASS
TEST(ProductionCode, FindFunction_WhichIsBroken)test/TestProductionCode.c:42::FAIL: Expected 34 Was 0
IGNORE_TEST(ProductionCode, NotYet)
TEST(ProductionCode, Timed) PASS (3 ms)

-----------------------
4 Tests 1 Failures 1 Ignored 
FAIL
"""


def test_unity_fixture_verbose():
    events = feed(UnityParser(), UNITY_FIXTURE)
    ends = [e for e in events if isinstance(e, CaseEnd)]
    assert [(e.suite, e.name, e.outcome) for e in ends] == [
        ("ProductionCode", "FindFunction_WhichIsFine", PASSED),
        ("ProductionCode", "FindFunction_WhichIsBroken", FAILED),
        ("ProductionCode", "NotYet", SKIPPED),
        ("ProductionCode", "Timed", PASSED),
    ]
    assert (ends[1].file, ends[1].line, ends[1].message) == ("test/TestProductionCode.c", 42, "Expected 34 Was 0")
    assert ends[3].seconds == 0.003
    assert CaseStart("ProductionCode", "FindFunction_WhichIsBroken") in events
    assert events[-1] == End(ok=False)


def test_unity_fixture_names_a_case_before_it_runs_without_a_line_end():
    parser = UnityParser()
    assert parser.feed("TEST(flash, hangs)", complete=False) == [CaseStart("flash", "hangs")]
    assert parser.feed("TEST(flash, hangs)", complete=False) == []  # the same pending line, seen again


ZTEST = """\
*** Booting Zephyr OS build v3.7.0 ***
Running TESTSUITE framework_tests
===================================================================
START - test_assert
 PASS - test_assert in 0.001 seconds
===================================================================
START - test_fail

    Assertion failed at WEST_TOPDIR/zephyr/tests/ztest/base/src/main.c:88: framework_tests_test_fail: (1 not equal to 0)
this is the message of zassert_equal
 FAIL - test_fail in 0.002 seconds
===================================================================
START - test_skip
 SKIP - test_skip in 0.000 seconds
===================================================================
TESTSUITE framework_tests failed.

------ TESTSUITE SUMMARY START ------

SUITE FAIL -  33.33% [framework_tests]: pass = 1, fail = 1, skip = 1, total = 3 duration = 0.003 seconds
 - PASS - [framework_tests.test_assert] duration = 0.001 seconds
 - FAIL - [framework_tests.test_fail] duration = 0.002 seconds
 - SKIP - [framework_tests.test_skip] duration = 0.000 seconds

------ TESTSUITE SUMMARY END ------

===================================================================
PROJECT EXECUTION FAILED
"""


def test_ztest_cases_assertions_summary_and_project_result():
    events = feed(ZtestParser(), ZTEST)
    ends = [e for e in events if isinstance(e, CaseEnd)]
    assert [(e.suite, e.name, e.outcome, e.seconds) for e in ends] == [
        ("framework_tests", "test_assert", PASSED, 0.001),
        ("framework_tests", "test_fail", FAILED, 0.002),
        ("framework_tests", "test_skip", SKIPPED, 0.0),
    ]
    fail = ends[1]
    assert (fail.file, fail.line) == ("WEST_TOPDIR/zephyr/tests/ztest/base/src/main.c", 88)
    assert fail.message == "(1 not equal to 0) this is the message of zassert_equal"
    assert Summary(3, 1, 1, suite="framework_tests") in events
    assert events[-1] == End(ok=False)
    assert [e for e in events if isinstance(e, CaseStart)] == [
        CaseStart("framework_tests", n) for n in ("test_assert", "test_fail", "test_skip")]


def test_ztest_success():
    events = feed(ZtestParser(), "Running TESTSUITE s\nSTART - test_a\n PASS - test_a in 0.010 seconds\n"
                                 "TESTSUITE s succeeded\nPROJECT EXECUTION SUCCESSFUL\n")
    assert events[-1] == End(ok=True)


def test_unknown_lines_produce_nothing():
    for parser in (UnityParser(), ZtestParser()):
        assert feed(parser, "hello\nTESTS are fun\n[00:00:01.000] <inf> main: ready\n:::\n") == []
