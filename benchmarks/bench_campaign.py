"""Power-cut campaign benchmark, everything measured in the same run:

* a bare ``qemu-system-arm -kernel factory-v1.bin`` boot to the app banner;
* recording the trace of the demo update (no cache);
* the campaign's cost per cut (in-place power-on from the computed state,
  then the demo oracle), on a sample of cuts, with and without the I10
  retries (the oracle's full cost includes the I8 resets of trial states);
* the naive method: re-run the update from the start up to cut k (power cut
  by ``cut_before``), power on, wait for the boot. Measured on a few cuts
  spread over the update and *extrapolated* to every cut with a linear fit
  in k (its cost grows with k);
* the exhaustive campaign (``--hil-campaign-cuts all``) as pytest runs it
  with ``-n WORKERS``, trace included.

    python benchmarks/bench_campaign.py [--workers 2] [--sample 300] [--naive 8] [--skip-exhaustive]

Goals: per cut <= 2x a bare boot; exhaustive demo campaign < 5 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from baseline import bare_boot  # benchmarks/baseline.py
from pytest_iot_hil.campaign import Campaign, load_campaign, parse_selection
from pytest_iot_hil.devices.demo import DemoOracle, DemoUpdate
from pytest_iot_hil.campaign.cache import TraceCache
from pytest_iot_hil.campaign.runner import CampaignRunner
from pytest_iot_hil.campaign.trace import boot_state, watched_regions
from pytest_iot_hil.firmware import FirmwareImage
from pytest_iot_hil.devices.demo.layout import builtin_target
from pytest_iot_hil.plugin.standalone import parts


def open_device(description, firmware):
    """A started device made through the installed plugins' hooks, as in a pytest run."""
    return parts().device_opener(description, firmware)()


REPO = Path(__file__).resolve().parent.parent


def per_cut(loaded, states, description, firmware, retry: str) -> list[float]:
    with open_device(description, firmware) as device:
        runner = CampaignRunner(device, retry=retry)
        runner.run(loaded, states[0])  # warm up: the first boot of the emulator
        results = [runner.run(loaded, s) for s in states]
    bad = [r for r in results if not r.ok]
    if bad:
        print(f"  warning: {len(bad)} cuts did not pass, e.g. {bad[0].cut}: {bad[0].error or bad[0].violations}")
    return [r.seconds for r in results]


def naive_cut(device, campaign: Campaign, initial: bytes, store: int) -> float:
    """Re-run the update from the start until store ``store``, cut, power on, wait for the boot."""
    target = device.target
    started = time.perf_counter()
    boot_state(device, initial, campaign.oracle.wait_booted)
    regions = watched_regions(target.description)
    with target.watch_flash_writes(regions, cut_before=lambda index, region, sector: index == store) as watch:
        try:
            campaign.procedure(device)
        except Exception:
            pass  # the power cut ends the procedure: the console link closes under it
    if watch.cut_at is None:
        target.power_off()  # the cut after the last store
    device.console.discard_pending()
    target.power_on()
    campaign.oracle.wait_booted(device)
    return time.perf_counter() - started


def exhaustive(workers: int) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="bench-campaign-") as tmp:
        tmp = Path(tmp)
        (tmp / "test_campaign.py").write_text((REPO / "examples" / "test_power_cut_campaign.py").read_text())
        argv = [sys.executable, "-m", "pytest", "-q", "--hil", "--hil-campaign-cuts", "all", "-p", "xdist",
                "-n", str(workers), f"--rootdir={tmp}", "-o", f"cache_dir={tmp / 'cache'}",
                f"--hil-log-dir={tmp / 'logs'}", "-p", "no:randomly", str(tmp / "test_campaign.py")]
        started = time.perf_counter()
        proc = subprocess.run(argv, cwd=tmp, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        tail = [line for line in proc.stdout.splitlines() if "passed" in line or "failed" in line][-2:]
        return seconds, " / ".join(tail) or proc.stdout[-500:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--sample", type=int, default=300, help="cuts timed in-process")
    parser.add_argument("--naive", type=int, default=8, help="cuts timed with the naive method")
    parser.add_argument("--bare-rounds", type=int, default=15)
    parser.add_argument("--skip-exhaustive", action="store_true")
    args = parser.parse_args()

    description = builtin_target()
    firmware = FirmwareImage.load(description.firmware)
    campaign = Campaign(procedure=DemoUpdate(), oracle=DemoOracle())

    bare_boot(description.firmware)  # warm the page cache
    bare = [bare_boot(description.firmware) for _ in range(args.bare_rounds)]

    with tempfile.TemporaryDirectory(prefix="bench-trace-") as tmp:
        started = time.perf_counter()
        loaded = load_campaign(campaign, description, firmware_sha256=firmware.sha256, cache=TraceCache(Path(tmp)),
                               open_device=lambda: open_device(description, firmware),
                               selection=parse_selection("all"))
        load_seconds = time.perf_counter() - started
    every = loaded.states(parse_selection("all"))
    sample = loaded.states(parse_selection(f"sample:{args.sample}"))
    plain = per_cut(loaded, sample, description, firmware, retry="none")
    full = per_cut(loaded, sample, description, firmware, retry="classes")

    # The naive method, on cuts spread over the update.
    picks = [every[round(i * (len(every) - 1) / max(1, args.naive - 1))] for i in range(args.naive)]
    naive: list[tuple[int, float]] = []
    with open_device(description, firmware) as device:
        campaign.oracle.wait_booted(device)
        for state in picks:
            naive.append((state.stores_done, naive_cut(device, campaign, loaded.trace.initial, state.stores_done)))
    # Least-squares line t = a + b * stores, summed over every cut of `all`.
    xs, ys = [k for k, _ in naive], [t for _, t in naive]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / (sum((x - mx) ** 2 for x in xs) or 1)
    a = my - b * mx
    naive_total = sum(a + b * s.stores_done for s in every)

    b_med = statistics.median(bare)
    print(f"\nfirmware {description.firmware}; {len(loaded.trace.writes)} stores, {len(loaded.space.ops)} flash "
          f"operations, {len(every)} distinct cut states (all), {os.cpu_count()} cores")
    print(f"bare qemu-system-arm -kernel boot to banner: median {b_med * 1000:.1f} ms ({len(bare)} runs)")
    print(f"trace of the update (fresh, no cache):       {loaded.trace.seconds:.1f} s traced, "
          f"{load_seconds:.1f} s with emulator start and state computation")
    for name, times in (("boot + oracle, no I10 retry", plain), ("boot + full oracle (I10 sampled)", full)):
        mean, med = statistics.fmean(times), statistics.median(times)
        print(f"per cut, {name:32s} median {med * 1000:.1f} ms, mean {mean * 1000:.1f} ms over {len(times)} cuts "
              f"= {mean / b_med:.2f}x bare boot (goal <= 2x)")
    print(f"naive re-run up to the cut, measured on {len(naive)} cuts: "
          + ", ".join(f"k={k}: {t:.2f} s" for k, t in naive))
    print(f"naive method extrapolated to all {len(every)} cuts (linear fit in k): {naive_total / 60:.1f} min on one "
          f"core, vs {statistics.fmean(full) * len(every) / 60:.1f} min for the campaign's cuts")
    if not args.skip_exhaustive:
        seconds, tail = exhaustive(args.workers)
        print(f"exhaustive campaign (pytest -n {args.workers} --hil-campaign-cuts all, trace included): "
              f"{seconds:.0f} s ({seconds / 60:.1f} min, goal < 5 min): {tail}")


if __name__ == "__main__":
    sys.exit(main())
