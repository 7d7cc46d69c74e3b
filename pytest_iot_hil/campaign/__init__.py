"""Power-cut campaigns: cut power at every flash operation of an update, boot each state, judge it.

How it works (the MCUboot simulator's method, on the real firmware in QEMU):

1. **Trace** (``trace.py``): your update *procedure* runs once with every
   flash store trapped; the stores, the named marks it sets and the flash
   before it are cached on disk (``cache.py``).
2. **States** (``ops.py``, ``states.py``, ``torn.py``): stores are grouped into flash
   operations; the state of a cut before op k is computed (initial + ops[:k]),
   plus torn states inside an op; identical states are booted once.
3. **Selection** (``cuts.py``): ``all``, ``boundaries`` or ``sample:N[:SEED]``;
   depth 2 adds second cuts during the recovery boot.
4. **Oracle** (``oracle.py``): the device profile's judge of every cut
   (the demo's oracle and update procedure live in ``devices/demo/``).
5. **Runner** (``runner.py``): one emulator per process, reused for every cut.
6. **pytest** (``plugin.py``, ``options.py``, ``powercut.py``): every cut is a test item;
   ``report.py`` (and ``png.py``) draw the timeline. ``standalone.py`` runs a
   campaign without pytest's collection (scripts, benchmarks).

Your own firmware
-----------------
Nothing here is specific to one firmware; it uses only the protocols
(``FlashWatcher`` and ``FlashState`` targets, the update client, the boot
observer). You provide:

* the target (inventory): its ``flash`` and named ``regions`` - cut ids and
  the report are grouped by region;
* a **procedure** ``procedure(device)``: drives one update on a booted, idle
  device through ``device.ota`` / ``device.boot`` / ``device.console`` /
  ``device.target`` and
  calls ``device.mark("name")`` at points an invariant depends on (e.g. once
  the device ACKed a confirm). Give it a ``retry(device)`` method, or pass
  ``retry=``, to check that a retried update completes (I10);
* an **oracle**: a subclass of :class:`Oracle` with ``check(device, ctx)``
  returning :class:`Violation` objects (and, if the boot observer's
  ``wait_for_boot`` is not enough, ``wait_booted(device)``); it knows your
  known-good images and your metadata format;
* the flash rules (:class:`FlashGeometry`) and the ``critical_regions`` whose
  every write is a ``boundaries`` cut.

Then, in a test module::

    @pytest.mark.hil_campaign(procedure=my_update, oracle=MyOracle(), cuts="boundaries")
    def test_update_survives_power_cuts(power_cut):
        power_cut.check()

See ``examples/test_power_cut_campaign.py`` (the demo profile's
``DemoUpdate`` and ``DemoOracle``).
"""

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

# Names are imported on first use: ``pytest_iot_hil.campaign.plugin`` is loaded
# by every pytest run (entry point) and must not pull in the whole campaign.
_EXPORTS = {
    "Campaign": "load", "LoadedCampaign": "load", "load_campaign": "load",
    "Selection": "cuts", "parse_selection": "cuts",
    "CampaignConfigError": "errors", "CampaignError": "errors", "CampaignViolation": "errors", "TraceError": "errors",
    "CutContext": "oracle", "Oracle": "oracle", "Violation": "oracle",
    "CampaignRunner": "runner", "CutResult": "runner", "open_device": "runner",
    "FlashGeometry": "ops", "CutState": "states", "StateSpace": "states",
    "Device": "trace", "Mark": "trace", "Trace": "trace",
}

if TYPE_CHECKING:  # pragma: no cover
    from .cuts import Selection, parse_selection
    from .errors import CampaignConfigError, CampaignError, CampaignViolation, TraceError
    from .load import Campaign, LoadedCampaign, load_campaign
    from .ops import FlashGeometry
    from .oracle import CutContext, Oracle, Violation
    from .runner import CampaignRunner, CutResult, open_device
    from .states import CutState, StateSpace
    from .trace import Device, Mark, Trace

__all__ = [
    "Campaign", "CampaignConfigError", "CampaignError", "CampaignRunner", "CampaignViolation",
    "CutContext", "CutResult", "CutState", "Device", "FlashGeometry",
    "LoadedCampaign", "Mark", "Oracle", "Selection", "StateSpace", "Trace", "TraceError", "Violation",
    "load_campaign", "open_device", "parse_selection",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())
