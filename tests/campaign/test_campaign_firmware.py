"""The campaign on real firmware in QEMU: the correct bootloader passes, every buggy one is caught.

* The correct demo firmware must pass every ``boundaries`` cut (every journal
  write with its torn states, first/last write of each sector, the writes
  around the marks, the end), with second cuts during every recovery boot
  that writes (depth 2). That is the CI selection (about two minutes on 2
  cores). ``PYTEST_IOT_HIL_EXHAUSTIVE=1`` also runs ``all`` (every distinct
  state, ~7,000 cuts, about 6 minutes); ``benchmarks/bench_campaign.py`` times it.
* The correct firmware refuses an attack (an unsigned v2) at every
  ``boundaries`` cut of the attempt: the old image runs after each.
* Each deliberately buggy variant found under
  ``firmware_fixtures/build/buggy/<ID>/`` (``factory-v1.bin`` and
  ``app-v2-slotB.signed.bin``, each described in ``build/buggy/MANIFEST.json``) must be flagged on
  ``boundaries`` with one of the invariants that catches it; the attack
  variants (B11, signature check fail-open) by the attack campaign.

The variants run the procedure of ``build/buggy/MANIFEST.json`` (install,
trial boot, confirm). The correct firmware runs it one step further
(``next_begin``: the BEGIN of a next update), so that a journal write also
happens after the floor was raised.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_iot_hil.campaign import Campaign
from pytest_iot_hil.devices.demo import DemoAttack, DemoOracle, DemoUpdate
from pytest_iot_hil.images.signing import TLV_ED25519, TLV_KEYHASH
from pytest_iot_hil.images.tamper import remove_tlv
from pytest_iot_hil.campaign.standalone import run_campaign
from pytest_iot_hil.devices.demo.layout import firmware_dir as demo_firmware_dir

pytestmark = pytest.mark.needs_qemu

BUGGY = demo_firmware_dir() / "buggy"

#: Invariants that may flag each variant: those that catch its bug by design,
#: plus what the demo bootloader shows where it degrades differently (the
#: build's MANIFEST.json "expected_invariants" are added when present):
#: B4 - the only metadata sector is erased before every record, so cut states
#:      hold no valid record and the seq falls (I6); the boot then takes the
#:      factory path and runs v1 instead of hanging (no I1/I7);
#: B6 - the wrapped seq shows in the journal itself (I6) and lets a trial run
#:      on (I8);
#: B8 - after the trial the fallback is below the early-raised floor, so the
#:      trial ends in recovery instead of the fallback (I8, and I1 there).
EXPECTED = {
    "B1": {"I2", "I5"},
    "B2": {"I8"},
    "B3": {"I2"},
    "B4": {"I1", "I6", "I7"},
    "B5": {"I1", "I8"},
    "B6": {"I1", "I6", "I8"},
    "B7": {"I8"},
    "B8": {"I1", "I7", "I8"},
    "B9": {"I3", "I9"},
    "B10": {"I7"},
    "B11": {"I2", "I4", "I5"},
    "B12": {"I1", "I8"},
    "B13": {"I11"},
    "B14": {"I4"},
    "B15": {"I2", "I5"},
}


def _manifest_invariants(variant: str) -> set[str]:
    """Invariants the build's MANIFEST.json names for ``variant``, if it names any."""
    try:
        doc = json.loads((BUGGY / "MANIFEST.json").read_text())
    except (OSError, ValueError):
        return set()
    entries = doc.get("variants", doc) if isinstance(doc, dict) else doc
    entry = entries.get(variant) if isinstance(entries, dict) else next(
        (e for e in entries if isinstance(e, dict) and e.get("id") == variant), None)
    if not isinstance(entry, dict):
        return set()
    found = entry.get("expected_invariants") or []
    return {str(i) for i in found if str(i).startswith("I")}


def buggy_variants() -> list:
    present = sorted(
        (d for d in BUGGY.glob("B*") if (d / "factory-v1.bin").is_file() and (d / "app-v2-slotB.signed.bin").is_file()),
        key=lambda d: int(d.name[1:]) if d.name[1:].isdigit() else 99,
    )
    if not present:
        return [pytest.param(None, id="none", marks=pytest.mark.skip(
            reason=f"no buggy variant built under {BUGGY} yet (make -C firmware_fixtures install)"))]
    return [pytest.param(d, id=d.name) for d in present]


@pytest.fixture(scope="module")
def cache_dir(request) -> Path:
    cache = getattr(request.config, "cache", None)
    return Path(cache.mkdir("hil-campaign")) if cache is not None else Path(request.config.rootpath) / "hil-logs"


def _attack_variants() -> set[str]:
    try:
        doc = json.loads((BUGGY / "MANIFEST.json").read_text())
    except (OSError, ValueError):
        return set()
    return {e["id"] for e in doc.get("attack_variants", []) if isinstance(e, dict)}


def unsigned(image: Path) -> bytes:
    """The attack the campaign tries: the image with its key hash and signature removed."""
    return remove_tlv(remove_tlv(image.read_bytes(), TLV_ED25519), TLV_KEYHASH)


def demo_campaign(directory: Path | None = None) -> Campaign:
    if directory is None:
        return Campaign(procedure=DemoUpdate(next_begin=True), oracle=DemoOracle())
    image = directory / "app-v2-slotB.signed.bin"
    if directory.name in _attack_variants():
        attack = unsigned(image)
        return Campaign(procedure=DemoAttack(attack), oracle=DemoOracle(new_image=attack, hostile=True),
                        firmware=directory / "factory-v1.bin", name=f"buggy-{directory.name}-attack")
    return Campaign(procedure=DemoUpdate(image), oracle=DemoOracle(new_image=image),
                    firmware=directory / "factory-v1.bin", name=f"buggy-{directory.name}")


def report(outcome) -> str:
    bad = [r for r in outcome.results if not r.ok]
    return "\n".join(f"{r.cut}: {r.error or '; '.join(str(v) for v in r.violations)}" for r in bad[:10])


def test_correct_firmware_passes_every_boundary_cut_and_second_cut(cache_dir):
    outcome = run_campaign(demo_campaign(), cuts="boundaries", depth=2, cache_dir=cache_dir)
    second = [r for r in outcome.results if "-then-" in r.cut]
    assert len(outcome.results) > 500 and len(second) > 400
    assert all(r.ok for r in outcome.results), report(outcome)


def test_correct_firmware_refuses_an_attack_at_every_boundary_cut(cache_dir):
    attack = unsigned(demo_firmware_dir() / "app-v2-slotB.signed.bin")
    campaign = Campaign(procedure=DemoAttack(attack), oracle=DemoOracle(new_image=attack, hostile=True),
                        name="attack-unsigned")
    outcome = run_campaign(campaign, cuts="boundaries", cache_dir=cache_dir)
    assert len(outcome.results) > 20
    assert all(r.ok for r in outcome.results), report(outcome)


@pytest.mark.skipif(os.environ.get("PYTEST_IOT_HIL_EXHAUSTIVE") != "1",
                    reason="every distinct cut state (~3,500, a few minutes): set PYTEST_IOT_HIL_EXHAUSTIVE=1")
def test_correct_firmware_passes_every_cut(cache_dir):
    outcome = run_campaign(demo_campaign(), cuts="all", cache_dir=cache_dir)
    assert len(outcome.results) > 3000
    assert all(r.ok for r in outcome.results), report(outcome)


@pytest.mark.parametrize("variant", buggy_variants())
def test_buggy_variant_is_caught(variant: Path, cache_dir):
    verified = _manifest_invariants(variant.name)  # what its builder saw at an example cut
    expected = EXPECTED.get(variant.name, set()) | verified
    outcome = run_campaign(demo_campaign(variant), cuts="boundaries", cache_dir=cache_dir)
    found = outcome.violations()
    assert not outcome.errors(), report(outcome)
    assert found, f"{variant.name}: no cut broke any invariant on `boundaries`"
    if expected:
        assert set(found) & expected, (
            f"{variant.name} should break one of {sorted(expected)}, but the campaign found "
            f"{dict(found)}:\n{report(outcome)}"
        )
    missing = verified - set(found)
    assert not missing, f"{variant.name}: MANIFEST.json expects {sorted(missing)} too; found {dict(found)}"
