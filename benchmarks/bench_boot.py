"""Boot benchmark: requesting the `console` fixture until the banner is seen,
against a bare `qemu-system-arm -kernel` boot of the same firmware to the same
banner, both measured in this run.

    python benchmarks/bench_boot.py [--rounds 15]

Prints the medians and their ratio (goal: at most 1.5x).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from baseline import bare_boot  # benchmarks/baseline.py
from pytest_iot_hil.devices.demo.layout import builtin_target


TEST_FILE = textwrap.dedent(
    """
    import json, os, time
    import pytest

    @pytest.mark.hil
    @pytest.mark.parametrize("round_", range(int(os.environ["BENCH_ROUNDS"])))
    def test_console_to_banner(request, round_):
        started = time.perf_counter()
        console = request.getfixturevalue("console")
        console.expect("app v1")
        elapsed = time.perf_counter() - started
        with open(os.environ["BENCH_OUT"], "a") as fh:
            fh.write(json.dumps(elapsed) + "\\n")
    """
)


def fixture_boots(rounds: int) -> list[float]:
    with tempfile.TemporaryDirectory(prefix="bench-boot-") as tmp:
        tmp = Path(tmp)
        (tmp / "test_bench.py").write_text(TEST_FILE)
        out = tmp / "times.jsonl"
        os.environ["BENCH_ROUNDS"] = str(rounds)
        os.environ["BENCH_OUT"] = str(out)
        code = pytest.main(["-q", "-p", "no:cacheprovider", "--import-mode=importlib", "--hil", f"--rootdir={tmp}",
                            f"--hil-log-dir={tmp / 'logs'}", str(tmp / "test_bench.py")])
        if code != 0:
            raise SystemExit(f"benchmark tests failed (pytest exit code {code})")
        return [json.loads(line) for line in out.read_text().splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    elf = builtin_target().firmware
    bare_boot(elf)  # warm the page cache for both sides
    # Interleave the two measurements so background load hits both alike.
    bare, ours = [], []
    for _ in range(3):
        bare += [bare_boot(elf) for _ in range(args.rounds // 3 or 1)]
        ours += fixture_boots(args.rounds // 3 or 1)
    b, o = statistics.median(bare), statistics.median(ours)
    print(f"\nfirmware: {elf}")
    print(f"bare qemu-system-arm -kernel boot to banner: median {b * 1000:.1f} ms over {len(bare)} runs")
    print(f"console fixture requested to banner:          median {o * 1000:.1f} ms over {len(ours)} runs")
    print(f"ratio: {o / b:.2f}x (goal <= 1.5x)")


if __name__ == "__main__":
    sys.exit(main())
