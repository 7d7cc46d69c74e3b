#!/usr/bin/env bash
# One-step set-up for pytest-iot-hil on Debian/Ubuntu, then a job:
#
#   bash scripts/bootstrap.sh examples   # set up, run examples/ with --hil, write report.xml
#   bash scripts/bootstrap.sh tests      # set up (with the ARM toolchain), run the project's tests
#
# System packages come from apt (as root; otherwise we say what to install);
# Python packages go into ./.venv. Extra arguments are passed to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."

job="${1:-examples}"
shift || true

need_pkgs=()
have() { command -v "$1" >/dev/null 2>&1; }
have qemu-system-arm || need_pkgs+=(qemu-system-arm)
have python3 || need_pkgs+=(python3)
if have python3 && ! python3 -c "import venv, ensurepip" >/dev/null 2>&1; then
  need_pkgs+=(python3-venv)
fi
if [ "$job" = tests ]; then
  # The tests rebuild the demo firmware and compare it with the committed files.
  have arm-none-eabi-gcc || need_pkgs+=(gcc-arm-none-eabi libnewlib-arm-none-eabi)
  have gcc || need_pkgs+=(gcc)
  have make || need_pkgs+=(make)
  # The static-analysis stage (scripts/cppcheck.sh): cppcheck with its MISRA C:2012 addon.
  have cppcheck || need_pkgs+=(cppcheck)
fi

if [ "${#need_pkgs[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "bootstrap: installing ${need_pkgs[*]} with apt-get" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" >/dev/null
  else
    echo "bootstrap: missing system packages: ${need_pkgs[*]}" >&2
    echo "bootstrap: install them with: sudo apt-get install ${need_pkgs[*]}" >&2
    exit 1
  fi
fi

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip >/dev/null
.venv/bin/python -m pip install -q -e ".[test]"
if [ "$job" = tests ]; then
  # The simulated debug probe the pyOCD backend is tested through (a pyOCD probe plugin).
  .venv/bin/python -m pip install -q -e tests/backends/pyocd/simprobe
fi

case "$job" in
  examples)
    exec .venv/bin/python -m pytest --hil examples --junitxml=report.xml "$@"
    ;;
  tests)
    # Includes the exhaustive power-cut campaign: the correct demo bootloader
    # must survive a cut at every distinct flash state (~3,500, a few minutes).
    # Spread over every core (pytest-xdist): every test is safe to run in parallel. Work
    # stealing: a worker that runs out of tests takes queued ones from a busy worker, so
    # a long test (the exhaustive campaign) does not leave the other cores idle at the end.
    PYTEST_IOT_HIL_EXHAUSTIVE=1 exec .venv/bin/python -m pytest -n auto --dist worksteal tests "$@"
    ;;
  *)
    echo "bootstrap: unknown job '$job' (use 'examples' or 'tests')" >&2
    exit 2
    ;;
esac
