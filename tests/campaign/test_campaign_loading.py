"""Loading a campaign, without an emulator: trace reuse, oracle preparation, cached failures, lazy images."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
import types

import pytest
from campaign_demo_trace import JOURNAL, SLOT_A, SLOT_B, build_demo_campaign

from pytest_iot_hil.campaign import Campaign, LoadedCampaign, StateSpace, TraceError
from pytest_iot_hil.devices.demo import DemoOracle, DemoUpdate
from pytest_iot_hil.campaign import load as campaign_module
from pytest_iot_hil.campaign.cache import TraceCache
from pytest_iot_hil.campaign.cuts import parse_selection
from pytest_iot_hil.devices.demo.oracle import DemoObservation
from pytest_iot_hil.campaign.errors import CampaignError
from pytest_iot_hil.campaign.options import CampaignOptions
from pytest_iot_hil.campaign.oracle import CutContext
from pytest_iot_hil.campaign.plugin import CampaignSession
from pytest_iot_hil.campaign.trace import check_watching
from pytest_iot_hil.devices.demo.bootline import parse_boot_line
from pytest_iot_hil.errors import HilError, TargetError
from pytest_iot_hil.devices.demo.layout import builtin_target, firmware_dir as demo_firmware_dir
from pytest_iot_hil.update import UpdateError

DESCRIPTION = builtin_target()
BUGGY_FACTORY = next(iter(sorted(demo_firmware_dir().glob("buggy/B*/factory-v1.bin"))), demo_firmware_dir() / "none")


# -- 1. the items of two campaigns never share a loaded campaign ------------------------------


def test_campaigns_differing_only_in_firmware_get_their_own_trace(tmp_path, monkeypatch):
    if not BUGGY_FACTORY.is_file():
        pytest.skip(f"{BUGGY_FACTORY} not built")
    loads = []

    def fake_load(campaign, description, *, firmware_sha256, **kw):
        loads.append(firmware_sha256)
        return types.SimpleNamespace(key=campaign.key(description, firmware_sha256), timeline=lambda: {})

    monkeypatch.setattr(campaign_module, "load_campaign", fake_load)
    config = types.SimpleNamespace(cache=None, stash=pytest.Stash())
    (tmp_path / "campaign-cache").mkdir()
    run = types.SimpleNamespace(description=DESCRIPTION, options=types.SimpleNamespace(log_dir=tmp_path, timeout=10),
                                firmware=None, parts=types.SimpleNamespace(device_opener=lambda *a, **k: None))
    session = CampaignSession(config)
    oracle = DemoOracle()  # one instance, shared by both tests
    options = CampaignOptions(parse_selection("boundaries"), 1, None, "classes")
    correct = Campaign(procedure=DemoUpdate(), oracle=oracle)
    buggy = Campaign(procedure=DemoUpdate(), oracle=oracle, firmware=BUGGY_FACTORY)
    token_a, loaded_a = session.load(run, correct, options)
    token_b, loaded_b = session.load(run, buggy, options)
    assert token_a != token_b and loaded_a is not loaded_b
    assert loads == [None, loads[1]] and loads[1]
    assert session.load(run, Campaign(procedure=DemoUpdate(), oracle=oracle), options)[0] == token_a


# -- 2. what the oracle prepares belongs to the campaign ----------------------------------------


def _before_the_confirm(loaded: LoadedCampaign) -> LoadedCampaign:
    """The same update traced only up to its trial boot (its oracle: the same instance)."""
    trial = next(m for m in loaded.trace.marks if m.name == "trial_boot")
    trace = dataclasses.replace(loaded.trace, writes=loaded.trace.writes[: trial.index], marks=(trial,))
    other = LoadedCampaign(loaded.campaign, loaded.description, "short", trace,
                           StateSpace.from_writes(trace.initial, 0, trace.writes))
    other.prepare_oracle()
    return other


def test_one_oracle_judges_interleaved_campaigns_with_their_own_facts():
    full = build_demo_campaign()
    short = _before_the_confirm(full)  # prepared last, with the same oracle instance
    assert short.oracle is full.oracle and short.prepared is not full.prepared
    assert full.prepared.committed[-1] != short.prepared.committed[-1]
    # The full update's end, read back after a boot that lost the CONFIRM record (seq 5):
    # only the full campaign's own facts know that seq 5 was committed before that cut.
    state = full.space.by_id[full.space.boundary_ids[-1]]
    image = full.image(state)
    journal = bytearray(image[JOURNAL : JOURNAL + 0x2000])
    journal[256:320] = b"\xff" * 64
    obs = DemoObservation(
        boot=parse_boot_line("BOOT slot=B version=2.0.0 state=CONFIRMED tries=3 floor=2 seq=5 reset=POWER_ON "
                             "rollback=NONE"),
        banner=("2.0.0", "B"), seconds=0.02, transcript="", journal_after=bytes(journal),
        slots_after={"A": image[SLOT_A : SLOT_A + 0x5000], "B": image[SLOT_B : SLOT_B + 0x5000]},
    )
    found = full.oracle.judge(obs, CutContext(state, image, full, full.marks_before(state)))
    assert any(v.invariant == "I6" and "seq 5 was committed" in v.message for v in found), found
    assert not hasattr(full.oracle, "committed") and not hasattr(full.oracle, "_committed")


# -- 3. the oracle is prepared once, at load, and its errors are one line -----------------------


def _cached(tmp_path, campaign) -> TraceCache:
    cache = TraceCache(tmp_path)
    cache.save_trace(campaign.key(DESCRIPTION, None), build_demo_campaign().trace)
    return cache


def _no_device():
    raise AssertionError("the trace is cached: no emulator needed")


def test_the_oracle_is_prepared_when_the_campaign_is_loaded(tmp_path):
    campaign = Campaign(procedure=DemoUpdate(), oracle=DemoOracle())
    loaded = campaign_module.load_campaign(campaign, DESCRIPTION, firmware_sha256=None,
                                           cache=_cached(tmp_path, campaign), open_device=_no_device,
                                           selection=parse_selection("boundaries"))
    assert loaded.prepared is not None and loaded.prepared.fallback == "A"


def test_an_oracle_that_cannot_prepare_fails_the_load_with_one_line(tmp_path):
    campaign = Campaign(procedure=DemoUpdate(), oracle=DemoOracle(journal_region="metadata"))
    with pytest.raises(CampaignError) as info:
        campaign_module.load_campaign(campaign, DESCRIPTION, firmware_sha256=None,
                                      cache=_cached(tmp_path, campaign), open_device=_no_device,
                                      selection=parse_selection("boundaries"))
    message = str(info.value)
    assert message.startswith("DemoOracle.prepare() failed: ") and "'metadata'" in message
    assert "\n" not in message


# -- 4. a failure to record is recorded once per run -------------------------------------------


def test_a_failed_trace_is_raised_again_by_the_other_processes_of_the_run(tmp_path):
    opened = []

    def broken_device():
        opened.append(1)
        raise TargetError("qemu-system-arm exited with status 1")

    campaign = Campaign(procedure=DemoUpdate(), oracle=DemoOracle())
    cache = TraceCache(tmp_path)

    def load(run_id):
        with pytest.raises(HilError) as info:
            campaign_module.load_campaign(campaign, DESCRIPTION, firmware_sha256=None, cache=cache,
                                          open_device=broken_device, selection=parse_selection("boundaries"),
                                          run_id=run_id)
        return str(info.value)

    first = load("run-1")
    assert opened == [1] and "exited with status 1" in first
    assert load("run-1") == first and opened == [1]  # another worker of the same run: no second emulator
    with pytest.raises(TraceError):
        campaign_module.load_campaign(campaign, DESCRIPTION, firmware_sha256=None, cache=cache,
                                      open_device=broken_device, selection=parse_selection("boundaries"),
                                      run_id="run-1")
    load("run-2")  # the next run tries again
    assert opened == [1, 1]


# -- 5. a trace must not silently miss stores --------------------------------------------------


class _Watch:
    def __init__(self, *, active=True, cut_at=None, error=None):
        self.active, self.cut_at, self.error, self.hits = active, cut_at, error, 7


@pytest.mark.parametrize("watch, powered, why", [
    (_Watch(active=False), True, "flash watch stopped"),
    (_Watch(), False, "powered off"),
    (_Watch(active=False, cut_at=3), False, "cut power before store #3"),
    (_Watch(error=OSError("gdb link lost")), True, "gdb link lost"),
])
def test_a_watch_that_ended_early_is_a_trace_error(watch, powered, why):
    target = types.SimpleNamespace(powered=powered)
    with pytest.raises(TraceError, match=why):
        check_watching(watch, target)
    check_watching(_Watch(), types.SimpleNamespace(powered=True))


# -- 6. a missing image is a one-line error when the campaign loads, not at import --------------


def test_a_missing_image_is_reported_when_loading_not_at_import(tmp_path):
    missing = tmp_path / "nope" / "app-v2.bin"
    update = DemoUpdate(missing)  # the marker arguments: nothing read yet
    oracle = DemoOracle(new_image=missing)
    campaign = Campaign(procedure=update, oracle=oracle)
    with pytest.raises(UpdateError, match=f"cannot read update image {missing}: No such file"):
        campaign.key(DESCRIPTION, None)
    with pytest.raises(UpdateError, match=str(missing)):
        oracle.new_image
    assert DemoUpdate(b"\x00").image == b"\x00"


# -- 10. pytest runs without --hil do not pay for the campaign ----------------------------------


def test_the_plugin_entry_point_imports_little():
    code = ("import sys, pytest_iot_hil.campaign.plugin; "
            "print(sorted(m for m in sys.modules if m.startswith('pytest_iot_hil.campaign.')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['pytest_iot_hil.campaign.plugin']"


def test_without_hil_no_outcome_collector_is_registered(pytester):
    pytester.makeconftest(
        "from pytest_iot_hil.campaign.plugin import ensure_registered\n"
        "def pytest_addhooks(pluginmanager):\n    ensure_registered(pluginmanager)\n")
    pytester.makepyfile(
        "def test_x(request):\n"
        "    assert request.config.pluginmanager.get_plugin('iot_hil_campaign-outcomes') is None\n")
    pytester.runpytest().assert_outcomes(passed=1)
