#!/usr/bin/env python3
"""Re-derive the trace facts of build/buggy/MANIFEST.json after the images changed, and check them in QEMU.

For the correct firmware and each buggy variant: trace the manifest's
procedure (the demo update through the demo profile's client), find where
each journal record starts in the trace, move the example cut to the same
place relative to the record it is described against, boot that cut state
and check that the oracle still reports one of the expected invariants there (and
that the correct firmware is fine at its matching cut, with the BOOT line
the manifest quotes). Rewrites the manifest's numbers only; the prose
stays. Needs qemu-system-arm.

    python firmware_fixtures/tools/retrace_buggy.py [--check]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILD = HERE.parent / "build"
sys.path.insert(0, str(HERE.parent.parent))

from pytest_iot_hil.campaign import Campaign, load_campaign, parse_selection  # noqa: E402
from pytest_iot_hil.campaign.cache import TraceCache  # noqa: E402
from pytest_iot_hil.campaign.runner import CampaignRunner  # noqa: E402
from pytest_iot_hil.devices.demo import DemoOracle, DemoUpdate  # noqa: E402
from pytest_iot_hil.devices.demo.layout import JOURNAL  # noqa: E402
from pytest_iot_hil.firmware import FirmwareImage  # noqa: E402
from pytest_iot_hil.plugin.standalone import builtin_target, parts  # noqa: E402

RECORD = 64


def load(factory: Path, v2: Path, cache: TraceCache):
    description = builtin_target()
    firmware = FirmwareImage.load(factory, load_address=0)
    campaign = Campaign(procedure=DemoUpdate(v2), oracle=DemoOracle(new_image=v2), firmware=factory)
    opener = parts().device_opener(description, firmware)
    loaded = load_campaign(campaign, description, firmware_sha256=firmware.sha256, cache=cache,
                           open_device=opener, selection=parse_selection("all"))
    return loaded, description, firmware


def record_starts(loaded) -> tuple[list[int], list[int]]:
    """First store of every journal record written, and of every journal sector erase, in trace order."""
    records, erases, seen = [], [], set()
    writes = loaded.trace.writes
    i = 0
    while i < len(writes):
        w = writes[i]
        if JOURNAL.start <= w.address < JOURNAL.end:
            op = loaded.space.ops[loaded.space.op_of_store(i)]
            if op.kind == "erase":   # 1024 stores of the erased value into one sector
                erases.append(op.first_store)
                i = op.end_store
                continue
            if not w.size:
                i += 1               # a word stored as it already was (erased): no address of its own
                continue
            rec = (w.address - JOURNAL.start) // RECORD
            key = (rec, tuple(r for r in erases if r <= i)[-1:])
            if key not in seen:
                seen.add(key)
                records.append(i)
            i += 1
            continue
        i += 1
    return records, erases


def renumber(old: dict, records: list[int], erases: list[int], stores: int) -> dict:
    names = list(old["records"])
    if len(records) != len(names):
        raise SystemExit(f"the trace has {len(records)} journal records, the manifest names {names}")
    out = {"records": dict(zip(names, records)), "stores": stores}
    if "erases" in old:
        out["erases"] = dict(zip(list(old["erases"]), erases[: len(old["erases"])]))
    for key in old:
        if key not in out:
            out[key] = old[key]
    return out


def moved(store: int, old: dict, new: dict) -> int:
    """``store`` at the same place relative to the last record (or erase) that starts before it."""
    anchors = [(v, new["records"][k]) for k, v in old["records"].items()]
    anchors += [(v, new["erases"][k]) for k, v in old.get("erases", {}).items()]
    base_old, base_new = max((a for a in anchors if a[0] <= store), default=(0, 0))
    return base_new + (store - base_old)


def boot_line(result) -> str:
    m = re.search(r"BOOT slot=\S+ version=\S+ state=\S+ tries=\d+ floor=\d+ seq=\d+ reset=\S+ rollback=\S+",
                  result.transcript)
    return m.group(0) if m else "(no BOOT line)"


def judge(loaded, description, firmware, store: int):
    """Boot the flash a cut right before ``store`` leaves (the campaign's state with exactly that image)."""
    image = bytearray(loaded.trace.initial)
    for w in loaded.trace.writes[:store]:
        if w.size:
            off = w.address - loaded.trace.flash_start
            image[off : off + w.size] = w.new
    image = bytes(image)
    candidates = sorted(loaded.states(parse_selection("all")), key=lambda s: abs(s.stores_done - store))
    state = next(s for s in candidates if loaded.image(s) == image)
    with parts().device_opener(description, firmware)() as device:
        return CampaignRunner(device, retry="none").run(loaded, state)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only compare, do not rewrite the manifest")
    args = parser.parse_args()
    path = BUILD / "buggy" / "MANIFEST.json"
    doc = json.loads(path.read_text())
    with tempfile.TemporaryDirectory() as tmp:
        cache = TraceCache(Path(tmp))
        good, description, good_fw = load(BUILD / "factory-v1.bin", BUILD / "app-v2-slotB.signed.bin", cache)
        rec, ers = record_starts(good)
        new_good = renumber(doc["correct_firmware"]["trace"], rec, ers, len(good.trace.writes))
        problems = []
        for variant in doc["variants"]:
            vid = variant["id"]
            loaded, _, fw = load(BUILD / "buggy" / vid / "factory-v1.bin", BUILD / "buggy" / vid / "app-v2-slotB.signed.bin",
                                 cache)
            rec, ers = record_starts(loaded)
            new_trace = renumber(variant["trace"], rec, ers, len(loaded.trace.writes))
            example = variant["example_cut"]
            store = moved(example["store"], variant["trace"], new_trace)
            good_store = moved(example["correct_firmware"]["store"], doc["correct_firmware"]["trace"], new_good)
            result = judge(loaded, description, fw, store)
            clean = judge(good, description, good_fw, good_store)
            found = set(result.invariants)
            print(f"{vid}: store {example['store']} -> {store}: {sorted(found)} ({boot_line(result)}); "
                  f"correct firmware at {good_store}: {sorted(clean.invariants) or 'fine'} ({boot_line(clean)})")
            # The example shows the bug (one of the invariants the variant breaks, as its text says).
            if not set(variant["expected_invariants"]) & found or clean.invariants:
                problems.append(vid)
            quoted = re.search(r"BOOT slot=\S+ version=\S+ state=\S+ tries=\d+ floor=\d+ seq=\d+ reset=\S+ rollback=\w+",
                               example["seen"])
            if quoted and quoted.group(0) != boot_line(result):
                print(f"  the manifest quotes {quoted.group(0)!r}: update its text")
                problems.append(vid)
            variant["trace"] = new_trace
            example["store"] = store
            example["correct_firmware"]["store"] = good_store
            if "confirm_acked_mark" in new_trace:
                mark = next((m.index for m in loaded.trace.marks if m.name == "confirm_acked"), None)
                new_trace["confirm_acked_mark"] = mark
        doc["correct_firmware"]["trace"] = new_good
    if problems:
        print(f"not confirmed in QEMU: {', '.join(problems)}", file=sys.stderr)
        return 1
    if not args.check:
        path.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"updated {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
