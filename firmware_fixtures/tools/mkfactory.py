#!/usr/bin/env python3
"""Builds the 1 MiB factory flash image: bootloader at 0x0, erased journal
and reserved sectors, a signed app in slot A, erased slot B. Every byte not
covered by an image is 0xFF (erased flash). Usage:
    mkfactory.py OUT BOOTLOADER_BIN SLOT_A_SIGNED_BIN
"""
import sys

FLASH_SIZE = 0x100000
BOOTLOADER_SIZE = 0xC000
SLOT_A = 0x10000
SLOT_SIZE = 0x78000


def main(out: str, bootloader: str, slot_a: str) -> None:
    flash = bytearray(b"\xff" * FLASH_SIZE)
    boot = open(bootloader, "rb").read()
    app = open(slot_a, "rb").read()
    if len(boot) > BOOTLOADER_SIZE:
        sys.exit(f"bootloader is {len(boot)} bytes, more than {BOOTLOADER_SIZE}")
    if len(app) > SLOT_SIZE:
        sys.exit(f"slot A image is {len(app)} bytes, more than {SLOT_SIZE}")
    flash[0:len(boot)] = boot
    flash[SLOT_A:SLOT_A + len(app)] = app
    with open(out, "wb") as f:
        f.write(flash)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
