"""Power loss in the middle of an update: cut power at every interesting flash write.

Run with:  pytest --hil examples/test_power_cut_campaign.py
(and add ``-n auto`` to spread the cuts over all cores, ``--junitxml=out.xml``
to get one test case per cut and the timeline picture next to it).

What happens:

1. At collection, the update below runs *once* on the emulated demo board
   with every flash store trapped. That trace is cached (``.pytest_cache``),
   so later runs and other xdist workers reuse it.
2. Every flash state a power cut could leave behind (before each flash
   operation, and half-way through one: "torn") becomes one test item, e.g.
   ``test_update_survives_power_cuts[cut-0412-program-slot_b]``.
3. Each item powers the board on from its state and checks that the device
   still boots a good image and that nothing the update promised is lost
   (invariants I1-I12, see ``pytest_iot_hil.campaign.demo_oracle``).

``cuts="boundaries"`` keeps the run short: every journal write (torn ones
included), the first and last write of every sector, every erase and the
writes around the procedure's marks. Use ``--hil-campaign-cuts all`` for
every state, ``--hil-campaign-depth 2`` to also cut during the boot that
follows a cut, and ``-k cut-0412-program-slot_b`` to rerun one cut (a failure
prints the exact command).

For your own firmware, replace ``DemoUpdate`` with a function that updates
your device (``def my_update(device): device.ota.install(...); ...``) and
``DemoOracle`` with a subclass of ``pytest_iot_hil.campaign.Oracle``.
"""

import pytest

from pytest_iot_hil.devices.demo import DemoOracle, DemoUpdate, demo_image

# The update under test: install v2 into slot B, wait for its trial boot, confirm it.
NEW_IMAGE = demo_image("v2", slot="B")


@pytest.mark.hil_campaign(
    procedure=DemoUpdate(NEW_IMAGE),
    oracle=DemoOracle(new_image=NEW_IMAGE),
    cuts="boundaries",
)
def test_update_survives_power_cuts(power_cut):
    # Boots the cut's flash state and fails with every broken invariant,
    # the command that reproduces this cut and the saved flash image.
    power_cut.check()
