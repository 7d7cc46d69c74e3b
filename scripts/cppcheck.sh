#!/usr/bin/env bash
# Static analysis of the demo firmware (firmware_fixtures/src): cppcheck's own
# checks and its MISRA C:2012 addon, once per board (mps2, stm32f4), each with
# that board's sources only.
#
#   bash scripts/cppcheck.sh            # exit 1 on any finding not justified
#
# Every MISRA rule the firmware does not follow is a deviation with its reason
# in firmware_fixtures/misra-deviations.txt (cppcheck's suppressions format);
# everything else must be clean. Needs cppcheck (apt-get install cppcheck,
# which brings the MISRA addon) and python3.
set -euo pipefail
cd "$(dirname "$0")/../firmware_fixtures"

if ! command -v cppcheck >/dev/null 2>&1; then
  echo "cppcheck.sh: cppcheck is missing: apt-get install cppcheck" >&2
  exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# cppcheck's reader takes one id[:file] per line; the reasons stay in the file.
grep -v -e '^#' -e '^[[:space:]]*$' misra-deviations.txt > "$work/suppressions.txt"

# One program at a time (whole-program rules such as "one definition of
# each external name" see one program): the bootloader, the app, the unit
# runner; each board's own layer.
core=(src/core/*.c src/hw/startup.c src/hw/board_core.c src/hw/uart_text.c src/hw/flash_mem.c)
unit=(src/unit/*.c src/hw/startup.c src/hw/uart_text.c src/core/mem.c src/core/strfmt.c src/core/crc32.c
      src/core/sha256.c)
status=0
for board in mps2 stm32f4; do
  if [ "$board" = mps2 ]; then
    layer=(src/hw/board.c src/hw/flash_hw.c src/hw/uart.c)
    uart=(src/hw/uart.c)
    defines=()
  else
    layer=(src/hw/stm32f4/board.c src/hw/stm32f4/flash_hw.c src/hw/stm32f4/uart.c)
    uart=(src/hw/stm32f4/uart.c)
    defines=(-DBOARD_STM32F4)
  fi
  for program in bootloader app unit; do
    case "$program" in
      bootloader) src=("${core[@]}" "${layer[@]}" src/boot/main.c) ;;
      app)        src=("${core[@]}" "${layer[@]}" src/app/main.c) ;;
      unit)       src=("${unit[@]}" "${uart[@]}") ;;
    esac
    echo "cppcheck.sh: $board $program (${#src[@]} files)"
    mkdir -p "$work/$board-$program"
    if ! cppcheck --quiet --std=c11 --platform=arm32-wchar_t4 \
        --enable=warning,portability,performance --inconclusive \
        --addon=misra --inline-suppr --suppressions-list="$work/suppressions.txt" \
        --cppcheck-build-dir="$work/$board-$program" --error-exitcode=1 \
        -D__GNUC__ -D__arm__ -DAPP_VER_MAJOR=1 -DAPP_VER_MINOR=0 -DAPP_VER_REV=0 \
        -DUNIT_FORMAT_UNITY -DUNIT_SET_CODEC "${defines[@]}" \
        --template='{file}:{line}: {severity}: {message} [{id}]' "${src[@]}"; then
      status=1
    fi
  done
done
if [ "$status" -eq 0 ]; then
  echo "cppcheck.sh: no findings outside firmware_fixtures/misra-deviations.txt"
fi
exit "$status"
