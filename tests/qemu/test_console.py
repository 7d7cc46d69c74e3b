"""The console against the demo firmware in real QEMU: pexpect's API, timeouts, reboots.

The demo firmware prints ``app v1.0.0 slot=A`` at boot, answers ``version``
with ``version 1.0.0 slot=A``, ``reboot`` with ``rebooting`` (then reboots),
and anything else with ``? unknown command``.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.needs_qemu

CONSOLE_API = r"""
import re
import time

import pexpect
import pytest

BANNER = "app v1.0.0 slot=A"


@pytest.mark.hil(target="qemu")  # pinned to the backend kind: runs on the default target
def test_banner(console):
    assert console.expect(BANNER) == 0
    assert console.after == BANNER
    assert console.before == ""  # the banner is the very first output


@pytest.mark.hil
def test_pattern_list_before_after_match(console):
    console.expect_exact(BANNER)
    console.sendline("version")
    index = console.expect(["rebooting", r"version (\d+\.\d+\.\d+) slot=(\w)", "unknown command"])
    assert index == 1
    assert console.after == "version 1.0.0 slot=A"
    assert console.match.groups() == ("1.0.0", "A")
    assert "version" not in console.before
    # Compiled patterns work too, and `before` holds what came in between.
    console.sendline("frobnicate")
    console.sendline("version")
    assert console.expect([re.compile(r"version \S+ slot=A"), pexpect.TIMEOUT], timeout=5) == 0
    assert "? unknown command" in console.before


@pytest.mark.hil
def test_expect_exact(console):
    console.expect_exact(BANNER)
    console.sendline("version")
    # Regex metacharacters are literal for expect_exact.
    assert console.expect_exact(["slot=A.*", "version 1.0.0 slot=A"]) == 1
    assert console.after == "version 1.0.0 slot=A"


@pytest.mark.hil
def test_reboot_shows_the_banner_again(console, hil_target):
    console.expect_exact(BANNER)
    console.sendline("reboot")
    console.expect_exact("rebooting")
    console.expect_exact(BANNER)
    console.sendline("version")
    console.expect_exact("version 1.0.0 slot=A")
    assert hil_target.powered


@pytest.mark.hil
def test_target_reset_shows_the_banner_again(console, hil_target):
    console.expect_exact(BANNER)
    boots = hil_target.boots
    hil_target.reset()
    console.expect_exact(BANNER)
    assert hil_target.boots == boots + 1
    console.sendline("version")
    console.expect_exact("version 1.0.0 slot=A")
    assert console.transcript.count(BANNER.encode()) == 2
"""


def test_console_api(pytester, demo_args):
    pytester.makepyfile(CONSOLE_API)
    result = pytester.runpytest(*demo_args)
    result.assert_outcomes(passed=5)


TIMEOUTS = r"""
import time

import pexpect
import pytest
from pytest_iot_hil import ConsoleTimeout
from pytest_iot_hil.errors import ConsoleError

BANNER = "app v1.0.0 slot=A"
# QEMU sometimes takes most of a second to pass the first input after an idle
# spell to the guest: expectations that must succeed get a generous timeout.
OK = 10


@pytest.mark.hil
def test_timeout_raises_console_timeout(console):
    console.expect_exact(BANNER, timeout=OK)
    started = time.monotonic()
    with pytest.raises(ConsoleTimeout) as info:
        console.expect(["never-printed", r"nor\s+this"], timeout=0.3)
    waited = time.monotonic() - started
    assert 0.25 <= waited < 3, waited
    assert isinstance(info.value, pexpect.TIMEOUT)
    assert isinstance(info.value, ConsoleError)
    message = str(info.value)
    assert "'never-printed'" in message and "'nor\\\\s+this'" in message, message
    assert "last 40 lines received" in message
    assert BANNER in message, message
    # The console is still usable afterwards.
    console.sendline("version")
    console.expect_exact("version 1.0.0 slot=A", timeout=OK)


@pytest.mark.hil
def test_expect_exact_timeout(console):
    console.expect_exact(BANNER, timeout=OK)
    console.sendline("version")
    console.expect_exact("version 1.0.0 slot=A", timeout=OK)
    with pytest.raises(pexpect.TIMEOUT) as info:
        console.expect_exact("never-printed", timeout=0.2)
    assert isinstance(info.value, ConsoleTimeout)
    assert "never-printed" in str(info.value)
    assert "version 1.0.0 slot=A" in str(info.value)


@pytest.mark.hil
def test_timeout_as_a_pattern_returns_its_index(console):
    console.expect_exact(BANNER, timeout=OK)
    started = time.monotonic()
    assert console.expect(["never-printed", pexpect.TIMEOUT], timeout=0.2) == 1
    assert 0.15 <= time.monotonic() - started < 3
    assert console.expect_exact([pexpect.TIMEOUT, "never-printed"], timeout=0.2) == 0
    console.sendline("version")
    assert console.expect(["never-printed", pexpect.TIMEOUT, "version 1.0.0"], timeout=OK) == 2


@pytest.mark.hil
def test_default_timeout_comes_from_the_option(console):
    assert console.timeout == 0.4
    console.expect_exact(BANNER, timeout=OK)
    started = time.monotonic()
    with pytest.raises(ConsoleTimeout):
        console.expect("never-printed")
    assert 0.35 <= time.monotonic() - started < 3


@pytest.mark.hil
def test_timeout_with_nothing_received(console, hil_target):
    hil_target.power_off()
    hil_target.power_on()
    console.expect_exact(BANNER, timeout=OK)
    hil_target.write_memory(0x20010000, b"x")  # the core keeps running after memory access
    console.sendline("version")
    console.expect_exact("version 1.0.0 slot=A", timeout=OK)
    with pytest.raises(ConsoleTimeout) as info:
        console.expect("never-printed", timeout=0.3)
    assert "never-printed" in str(info.value)
"""


def test_console_timeouts(pytester, demo_args):
    pytester.makepyfile(TIMEOUTS)
    result = pytester.runpytest(*demo_args, "--hil-timeout", "0.4")
    result.assert_outcomes(passed=5)


def test_failed_expect_shows_the_transcript_in_the_report(pytester, demo_args):
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.hil
        def test_fails(console):
            console.sendline("version")
            console.expect_exact("version 1.0.0 slot=A", timeout=10)
            console.expect("version 9.9.9", timeout=0.5)
        """
    )
    result = pytester.runpytest(*demo_args)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert (
        "ConsoleTimeout: qemu-mps2-an385 console: no match for ['version 9.9.9'] after 0.5 s; "
        "last 40 lines received:\nE           app v1.0.0 slot=A\nE           version 1.0.0 slot=A"
    ) in out, out
