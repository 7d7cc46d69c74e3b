"""A team's own procedure and oracle, written from scratch: the demo is one client.

Nothing here comes from ``DemoUpdate`` or ``DemoOracle``: the procedure is a
plain function using the ``ota`` client, the oracle a direct subclass of
``Oracle`` that only looks at the console.
"""

from __future__ import annotations

import textwrap

OWN_CAMPAIGN = '''
import pytest

from pytest_iot_hil.campaign import Oracle, Violation
from pytest_iot_hil.devices.demo.images import demo_image

IMAGE = demo_image("v2", slot="B")


def our_update(device):
    # Our release process: send the image, let it boot on trial. No confirm.
    device.ota.install(IMAGE)
    device.boot.wait_for_boot()


class OurOracle(Oracle):
    """Our promise: after any cut an app answers, and it is v1 or v2."""

    boot_timeout = 5.0

    def wait_booted(self, device):
        device.console.expect(r"app v\\S+ slot=[AB]\\r?\\n", timeout=self.boot_timeout)

    def check(self, device, ctx):
        # Ask the running app, as a bench test would.
        device.console.sendline("version")
        device.console.expect(r"version (\\S+) slot=", timeout=self.boot_timeout)
        version = device.console.match.group(1)
        if version not in ("1.0.0", "2.0.0"):
            return [Violation("OURS-1", ctx.state.id, f"unexpected version {version} after the cut")]
        return []


@pytest.mark.hil_campaign(procedure=our_update, oracle=OurOracle(), cuts="sample:4:7", name="ours")
def test_our_update_survives_power_cuts(power_cut):
    power_cut.check()
'''


def test_a_team_brings_its_own_procedure_and_oracle(pytester, tmp_path):
    pytester.makeini(f"[pytest]\ncache_dir = {tmp_path / 'cache'}\n")
    pytester.makepyfile(test_ours=textwrap.dedent(OWN_CAMPAIGN))
    result = pytester.runpytest_subprocess("--hil", "-p", "no:randomly")
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*test_our_update_survives_power_cuts*4 cuts run*4 passed*"])
