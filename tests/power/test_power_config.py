"""Power tables in the inventory: broken ones stop the run before any test."""

from __future__ import annotations

import os
import stat

import pytest

from powerbench import write_bench_inventory


def _inventory(pytester, power: str) -> None:
    write_bench_inventory(pytester, power)
    pytester.makepyfile('''
import pytest
@pytest.mark.hil
def test_never_runs(power):
    raise AssertionError("a broken power table must stop the run first")
''')


@pytest.mark.parametrize(
    "power, needle",
    [
        ('on = "x"\noff = "y"', "must be a table with a `driver` key"),
        ('driver = "command"\noff = "y"', "needs `on = "),
        ('driver = "command"\non = "relay \'on"\noff = "y"', "check its quotes"),
        ('driver = "command"\non = "x"\noff = "y"\nsettle_s = "soon"', "`settle_s` must be a number"),
        ('driver = "command"\non = "x"\noff = "y"\nport = 3', "unknown key(s) port"),
        ('driver = 7', "must be a table with a `driver` key"),
    ],
)
def test_broken_power_table_is_a_usage_error(pytester, power, needle):
    _inventory(pytester, power)
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert needle in result.stderr.str()
    assert "Traceback" not in result.stdout.str() + result.stderr.str()


def test_unknown_third_party_driver_fails_the_test_that_asks(pytester):
    _inventory(pytester, 'driver = "relaybox9000"')
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*no installed plugin provides power driver 'relaybox9000'*"])
    result.stdout.no_fnmatch_line("*During handling*")


def test_a_command_that_is_not_executable_says_so(pytester, tmp_path):
    script = tmp_path / "relay.sh"
    script.write_text("#!/bin/sh\nexit 0\n")
    os.chmod(script, stat.S_IRUSR | stat.S_IWUSR)  # not executable
    _inventory(pytester, f'driver = "command"\non = "{script}"\noff = "{script}"')
    pytester.makepyfile('''
import pytest
from pytest_iot_hil.errors import TargetError
@pytest.mark.hil
def test_relay(power):
    with pytest.raises(TargetError, match="is not executable"):
        power.off()
''')
    result = pytester.runpytest("--hil", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
