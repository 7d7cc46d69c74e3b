#!/bin/sh
# Pre-flight for a CI job: fail in one line per missing tool, before any test
# runs, instead of letting a suite skip or stop half-way.
#
#   sh examples/ci/preflight.sh qemu-system-arm renode     # the tools a job needs
#
# Known tools get their install line; anything else must be on PATH.
set -u
missing=0
for tool in "$@"; do
  if command -v "$tool" >/dev/null 2>&1; then
    echo "pre-flight: $tool: $(command -v "$tool")"
    continue
  fi
  case "$tool" in
    qemu-system-arm)   how="apt-get install qemu-system-arm" ;;
    arm-none-eabi-gcc) how="apt-get install gcc-arm-none-eabi libnewlib-arm-none-eabi" ;;
    cppcheck)          how="apt-get install cppcheck" ;;
    renode)            how="install the pinned Renode portable release (see this workflow's Renode step), or pip install renode-run && renode-run download" ;;
    imgtool)           how="pip install imgtool==2.5.0" ;;
    pyocd)             how="pip install 'pytest-iot-hil[bench]'" ;;
    *)                 how="install it and put it on PATH" ;;
  esac
  echo "pre-flight: $tool is missing on this runner: $how" >&2
  missing=1
done
exit "$missing"
