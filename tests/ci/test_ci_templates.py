"""The CI templates in examples/ci/ are valid for their CI systems, and agree with the project.

GitHub Actions and GitLab CI files are checked against the schemas those
systems publish (vendored by check-jsonschema) and by yamllint; the
Jenkinsfile by our checker of the declarative syntax (declarative.py), since
Jenkins' own linter needs a running Jenkins. None of them was run on its CI
system here.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pytest_iot_hil.devices.demo.layout import RENODE_TARGET_NAME, TARGET_NAME

from . import declarative

ROOT = Path(__file__).resolve().parents[2]
CI = ROOT / "examples" / "ci"
YAMLLINT = "{extends: default, rules: {line-length: {max: 120}, document-start: disable, truthy: {check-keys: false}}}"
SCHEMAS = {"github-actions.yml": "vendor.github-workflows", "gitlab-ci.yml": "vendor.gitlab-ci"}


def _schema_check(path: Path, schema: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, str(path)],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("name", SCHEMAS)
def test_valid_for_its_ci_system(name):
    proc = _schema_check(CI / name, SCHEMAS[name])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lint = subprocess.run([sys.executable, "-m", "yamllint", "-d", YAMLLINT, str(CI / name)],
                          capture_output=True, text=True, timeout=120)
    assert lint.returncode == 0, lint.stdout + lint.stderr


@pytest.mark.parametrize("name, breakage", [
    ("github-actions.yml", ("    runs-on: ubuntu-24.04\n", "    runs-on: [ubuntu-24.04\n")),
    ("github-actions.yml", ("    steps:\n", "    stepz:\n")),
    ("gitlab-ci.yml", ("  stage: analyse\n", "  stage: [analyse, {x: 1}]\n")),
])
def test_the_validators_catch_a_broken_file(tmp_path, name, breakage):
    text = (CI / name).read_text()
    assert breakage[0] in text
    broken = tmp_path / name
    broken.write_text(text.replace(breakage[0], breakage[1], 1))
    assert _schema_check(broken, SCHEMAS[name]).returncode != 0


def test_the_jenkinsfile_is_a_declarative_pipeline():
    pipeline = declarative.check((CI / "Jenkinsfile").read_text())
    stages = [b.args.strip("()'") for b in declarative.walk(pipeline) if b.name == "stage"]
    assert stages == ["Set-up", "Cross-build", "Static analysis", "Host unit tests", "Emulator HIL",
                      "pytest --hil", "Bench HIL"]
    junit = [s for b in declarative.walk(pipeline) if b.name == "always" for s in b.statements if s.startswith("junit")]
    assert len(junit) == 3   # host tests, each emulator, the bench
    axis = next(b for b in declarative.walk(pipeline) if b.name == "axis")
    assert f"'{TARGET_NAME}'" in axis.statements[1] and f"'{RENODE_TARGET_NAME}'" in axis.statements[1]


@pytest.mark.parametrize("breakage", [
    ("stage('Cross-build') {", "stage('Cross-build') {{"),                 # a brace too many
    ("steps {\n                sh 'sh examples/ci/preflight.sh cppcheck", "stepz {\n  sh 'x"),   # no steps
    ("always {\n                    junit 'host-tests.xml'", "sometimes {\n junit 'h'"),   # no such condition
    ("sh 'bash scripts/cppcheck.sh'", "sh 'bash scripts/cppcheck.sh"),        # an unterminated string
    ("values 'qemu-mps2-an385', 'renode-stm32f4'", "valuez 'x'"),            # an axis without values
])
def test_the_jenkinsfile_checker_catches_a_broken_file(breakage):
    text = (CI / "Jenkinsfile").read_text()
    assert breakage[0] in text
    with pytest.raises(declarative.SyntaxProblem):
        declarative.check(text.replace(breakage[0], breakage[1], 1))


def test_the_templates_agree_with_the_project():
    texts = {p.name: p.read_text() for p in (CI / "github-actions.yml", CI / "gitlab-ci.yml", CI / "Jenkinsfile")}
    pins = {name: (re.search(r"RENODE_VERSION\s*[:=]\s*['\"]?([\d.]+)", t).group(1),
                   re.search(r"RENODE_SHA256\s*[:=]\s*['\"]?([0-9a-f]{64})", t).group(1)) for name, t in texts.items()}
    assert len(set(pins.values())) == 1, pins   # one pinned Renode, one checksum
    version = next(iter(pins.values()))[0]
    for text in texts.values():
        assert f"renode-{version}.linux-portable-dotnet.tar.gz" in text and "sha256sum -c -" in text
        assert TARGET_NAME in text and RENODE_TARGET_NAME in text
        assert "power-cut-report.html" in text and "hil-logs/" in text   # the campaign report, the transcripts
        for path in set(re.findall(r"\b((?:tests|scripts|examples/ci)/[\w/.-]+\.(?:py|sh))\b", text)):
            assert (ROOT / path).is_file(), path
    workflow = yaml.safe_load(texts["github-actions.yml"])
    assert set(workflow["jobs"]) == {"cross-build", "static-analysis", "host-tests", "emulator-hil", "bench-hil"}
    assert workflow["jobs"]["emulator-hil"]["strategy"]["matrix"]["target"] == [TARGET_NAME, RENODE_TARGET_NAME]
    assert "self-hosted" in workflow["jobs"]["bench-hil"]["runs-on"]
    for job in workflow["jobs"].values():
        assert any("preflight.sh" in str(step.get("run", "")) for step in job["steps"])
    gitlab = yaml.safe_load(texts["gitlab-ci.yml"])
    assert gitlab["emulator-hil"]["parallel"]["matrix"] == [{"TARGET": [TARGET_NAME, RENODE_TARGET_NAME]}]


def test_the_preflight_names_each_missing_tool(tmp_path):
    script = CI / "preflight.sh"
    ok = subprocess.run(["sh", str(script), "sh"], capture_output=True, text=True)
    assert ok.returncode == 0 and "pre-flight: sh: " in ok.stdout
    bad = subprocess.run(["sh", str(script), "sh", "renode", "no-such-tool-here"], capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin"})
    assert bad.returncode == 1
    assert bad.stderr.splitlines() == [
        "pre-flight: renode is missing on this runner: install the pinned Renode portable release (see this "
        "workflow's Renode step), or pip install renode-run && renode-run download",
        "pre-flight: no-such-tool-here is missing on this runner: install it and put it on PATH",
    ]
