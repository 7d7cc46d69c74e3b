"""The firmware's static-analysis stage: cppcheck and its MISRA C:2012 addon (scripts/cppcheck.sh).

Every finding is fixed or a deviation with its reason in
firmware_fixtures/misra-deviations.txt; the stage fails on anything else.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEVIATIONS = ROOT / "firmware_fixtures" / "misra-deviations.txt"


def test_every_deviation_is_a_misra_rule_with_its_reason():
    lines = DEVIATIONS.read_text().splitlines()
    reason = False
    rules = []
    for line in lines:
        if line.startswith("#"):
            reason = reason or len(line) > 2
            continue
        if not line.strip():
            reason = False
            continue
        assert re.fullmatch(r"misra-c2012-\d+\.\d+(:src/[\w/.]+)?", line), \
            f"{line!r}: only MISRA rules are deviated; cppcheck's own findings are fixed"
        assert reason, f"{line!r} has no reason above it"
        path = line.partition(":")[2]
        assert not path or (ROOT / "firmware_fixtures" / path).is_file(), f"{line!r}: no such file"
        rules.append(line)
    assert len(rules) == len(set(rules))


def test_cppcheck_with_misra_finds_nothing_outside_the_deviations():
    if shutil.which("cppcheck") is None:
        pytest.skip("cppcheck is not installed: apt-get install cppcheck (scripts/bootstrap.sh tests does)")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "cppcheck.sh")], capture_output=True, text=True,
                          timeout=900)
    findings = [line for line in proc.stderr.splitlines() + proc.stdout.splitlines() if re.match(r"src/\S+:\d+:", line)]
    assert proc.returncode == 0 and not findings, "\n".join(findings[:40]) or proc.stderr[-2000:]
    assert proc.stdout.count("cppcheck.sh: ") == 7   # 2 boards x 3 programs, and the verdict
