"""Fleet rehearsal scale on this machine: fleet size against wall time, per device against one update.

All in one run, with the same plan (a 10% canary, then everyone; the
crash-rate trigger) and the v2 image on clean links:

* the baseline: one device updated v1 -> v2 -> confirmed by itself (the
  same steps a fleet device takes: boot, metrics, install, trial boot,
  settle, soak reboot, confirm);
* fleets of 10, 50 and 100 devices (each its own QEMU), started lazily and
  driven in parallel;
* per size: wall time, time per device, and that per-device time against the
  single update (the ratio); the host memory of one idle device (QEMU's RSS)
  and its CPU while idle (the app sleeps with WFI).

    python benchmarks/bench_fleet.py [sizes...]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

from pytest_iot_hil.devices.demo.images import demo_image
from pytest_iot_hil.firmware import FirmwareImage
from pytest_iot_hil.fleet import Fleet, RolloutPlan, Stage, Trigger
from pytest_iot_hil.plugin.standalone import builtin_target, parts

PLAN = RolloutPlan(stages=(Stage("canary", percent=10), Stage("everyone", percent=100)),
                   triggers=(Trigger("crash_rate", 0.0),))


def rehearse(size: int, log_dir: Path) -> tuple[float, object]:
    description = builtin_target()
    firmware = FirmwareImage.load(description.firmware)
    started = time.perf_counter()
    fleet = Fleet(parts=parts(log_dir=log_dir), description=description, firmware=firmware, size=size,
                  log_dir=log_dir / f"fleet-{size}", timeout=30)
    try:
        result = fleet.rollout(PLAN, demo_image("v2", slot="B"))
        elapsed = time.perf_counter() - started
        idle = idle_cost(fleet) if size == 1 else None   # not timed
    finally:
        fleet.close()
    return elapsed, (result, idle)


def idle_cost(fleet: Fleet) -> tuple[float, float]:
    """RSS (MiB) and CPU (% of a core) of one idle device's QEMU, over 3 s."""
    proc = fleet.devices[0].target._proc
    pid = proc.pid

    def cpu() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().split()
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")

    c0 = cpu()
    time.sleep(3)
    c1 = cpu()
    rss = next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
               if line.startswith("VmRSS")) / 1024
    return rss, (c1 - c0) / 3 * 100


def main(sizes: list[int]) -> None:
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as tmp:
        log_dir = Path(tmp)
        single, (result, idle) = rehearse(1, log_dir)
        assert result.completed, result.trip
        print(f"one device, v1 -> v2 -> confirmed:   {single:6.1f} s")
        print(f"one idle device: QEMU RSS {idle[0]:.0f} MiB, CPU {idle[1]:.1f}% of a core (WFI)")
        print(f"{'devices':>8} {'wall s':>8} {'s/device':>9} {'vs one':>7}")
        for size in sizes:
            wall, (result, _) = rehearse(size, log_dir)
            assert result.completed, result.trip
            per = wall / size
            print(f"{size:>8} {wall:>8.1f} {per:>9.2f} {per / single:>7.2f}", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [10, 50, 100])
