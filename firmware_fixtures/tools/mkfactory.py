#!/usr/bin/env python3
"""Builds the 1 MiB factory flash image of a board: the bootloader at the
start of flash, erased journal and reserved sectors, a signed app in slot A,
erased slot B. Every byte not covered by an image is 0xFF (erased flash).
The image starts at the flash base (0x0 on mps2, 0x08000000 on the STM32F4).
Usage:
    mkfactory.py [--board mps2|stm32f4] OUT BOOTLOADER_BIN SLOT_A_SIGNED_BIN
"""
import sys

#: board -> (flash size, bootloader size, slot A offset, slot size), as in
#: src/core/layout.h and src/hw/stm32f4/layout.h.
BOARDS = {
    "mps2": (0x100000, 0xC000, 0x10000, 0x78000),
    "stm32f4": (0x100000, 0x8000, 0x40000, 0x60000),
}


def main(out: str, bootloader: str, slot_a: str, board: str = "mps2") -> None:
    flash_size, boot_size, slot_a_offset, slot_size = BOARDS[board]
    flash = bytearray(b"\xff" * flash_size)
    boot = open(bootloader, "rb").read()
    app = open(slot_a, "rb").read()
    if len(boot) > boot_size:
        sys.exit(f"bootloader is {len(boot)} bytes, more than {boot_size}")
    if len(app) > slot_size:
        sys.exit(f"slot A image is {len(app)} bytes, more than {slot_size}")
    flash[0:len(boot)] = boot
    flash[slot_a_offset:slot_a_offset + len(app)] = app
    with open(out, "wb") as f:
        f.write(flash)


if __name__ == "__main__":
    args = sys.argv[1:]
    board = "mps2"
    if args[:1] == ["--board"] and len(args) > 1:
        board = args[1]
        args = args[2:]
    if len(args) != 3 or board not in BOARDS:
        sys.exit(__doc__)
    main(*args, board=board)
