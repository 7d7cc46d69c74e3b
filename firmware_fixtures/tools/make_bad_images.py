#!/usr/bin/env python3
"""Builds the committed set of bad images in build/bad/ from the good ones.

For each board (build/ for mps2, build/stm32f4/ for the STM32F4) and each
slot S (A, B) it takes app-v2-slot<S>.signed.bin and writes
images meant to be written to slot S (names follow the good images:
app-<variant>-slot<S>; ".signed.bin" only for the validly built ones):

    app-v2-payload-flip-slot<S>.bin     one bit of the payload flipped
    app-v2-header-magic-slot<S>.bin     one bit of the header magic flipped
    app-v2-header-loadaddr-slot<S>.bin  ih_load_addr set to the other slot (hash now wrong)
    app-v2-seccnt-flip-slot<S>.bin      one bit of the protected SEC_CNT value flipped
    app-v2-sha-flip-slot<S>.bin         one bit of the unprotected SHA-256 value flipped
    app-v2-truncated-slot<S>.bin        cut in the middle of the unprotected TLVs
    app-v2-lowsec-slot<S>.signed.bin    the same payload validly re-signed with security counter 0
    app-v2-wrong-slot-slot<S>.signed.bin  the *other* slot's build validly re-signed for slot S
                                        (header says S, code is linked for the other slot)

and MANIFEST.json, which says for each file what was done and what imgtool
and the demo bootloader (image.c, modelled by pytest_iot_hil.images.validate)
say about it once v1 is confirmed (floor 1).

Everything is deterministic (Ed25519 signatures are), so running it again
gives the same bytes; tests/images/test_bad_images.py checks that.  Run it
after `make install` whenever the good images change:

    python3 firmware_fixtures/tools/make_bad_images.py [--build DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
try:
    from pytest_iot_hil import images
except ImportError:  # run from a checkout without installing the package
    sys.path.insert(0, str(HERE.parent.parent))
    from pytest_iot_hil import images
from pytest_iot_hil.devices.demo.image_check import check_demo_image
from pytest_iot_hil.devices.demo.layout import BOARDS, MPS2, Board

SOURCE = "app-v2-slot{slot}.signed.bin"
#: The demo's test signing key, as the Makefile signs with it: the re-signed images are validly signed.
KEY = HERE.parent / "keys" / "demo-test-ed25519.pem"
#: The floor once app v1 (security counter 1) is confirmed: the situation the
#: OTA tests start from.
FLOOR = 1


def variants(slot: str, good: bytes, other_good: bytes, board: Board = MPS2) -> list[tuple[str, str, str, bytes]]:
    """(file name, kind, description, bytes) of every bad image for ``slot``.

    ``good`` is app v2 built for ``slot``, ``other_good`` app v2 built for the other slot.
    """
    other = "B" if slot == "A" else "A"
    info = images.read_image(good)

    def name(kind: str, signed: bool = False) -> str:
        return f"app-v2-{kind}-slot{slot}{'.signed' if signed else ''}.bin"

    return [
        (name("payload-flip"), "payload-flip", "bit 0 of payload byte 0 flipped",
         images.flip_byte(good, "payload")),
        (name("header-magic"), "header-magic", "bit 0 of the header magic flipped",
         images.flip_byte(good, "header")),
        (name("header-loadaddr"), "header-loadaddr",
         f"ih_load_addr changed to slot {other}'s base, not re-signed",
         images.set_load_addr(good, board.slot_bases[other])),
        (name("seccnt-flip"), "seccnt-flip", "bit 0 of the protected SEC_CNT value flipped",
         images.flip_byte(good, "protected_tlv")),
        (name("sha-flip"), "sha-flip", "bit 0 of the unprotected SHA-256 value flipped",
         images.flip_byte(good, "tlv")),
        (name("truncated"), "truncated", "cut in the middle of the unprotected TLVs",
         images.truncate(good)),
        (name("lowsec", signed=True), "lowsec",
         f"payload re-signed with imgtool: version {info.version}, security counter 0",
         images.resign(good, security_counter=0, slot_size=board.slot_size, key=KEY)),
        (name("wrong-slot", signed=True), "wrong-slot",
         f"app v2 linked for slot {other}, re-signed with imgtool for slot {slot}'s base",
         images.wrong_slot(other_good, slot_bases=board.slot_bases, slot_size=board.slot_size, key=KEY)),
    ]


def _reader_verdict(data: bytes) -> str:
    try:
        info = images.read_image(data)
    except images.ImageFormatError:
        return "format-error"
    return "ok" if info.hash_ok else "hash-mismatch"


def generate(build: Path, out: Path, board: Board = MPS2) -> list[Path]:
    """Writes every bad image of ``board`` and the manifest into ``out``; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    manifest = []
    for slot in ("A", "B"):
        other = "B" if slot == "A" else "A"
        source = build / SOURCE.format(slot=slot)
        other_source = build / SOURCE.format(slot=other)
        good, other_good = source.read_bytes(), other_source.read_bytes()
        base = board.slot_bases[slot]
        for name, kind, description, data in variants(slot, good, other_good, board):
            path = out / name
            path.write_bytes(data)
            written.append(path)
            manifest.append({
                "file": name,
                "source": (other_source if kind == "wrong-slot" else source).name,
                "kind": kind,
                "description": description,
                "slot": slot,
                "size": len(data),
                "reader": _reader_verdict(data),
                "imgtool": images.verify_with_imgtool(data),
                # FINISH validates with limit = the transferred size; a boot
                # validates the slot, where the bytes after the image are erased.
                "firmware_finish": check_demo_image(data, slot_base=base, limit=len(data), floor=FLOOR),
                "firmware_boot": check_demo_image(data, slot_base=base, floor=FLOOR),
            })
    path = out / "MANIFEST.json"
    path.write_text(json.dumps({"floor": FLOOR, "images": manifest}, indent=2) + "\n")
    written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, default=HERE.parent / "build", help="where the good images are")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the default board's images (default: BUILD/bad)")
    args = parser.parse_args(argv)
    for board in BOARDS:
        build = args.build / board.subdir if board.subdir else args.build
        out = (args.out / board.subdir if board.subdir else args.out) if args.out else build / "bad"
        try:
            written = generate(build, out, board)
        except (OSError, images.ImageFormatError, images.ImageBuildError) as exc:
            print(f"make_bad_images: {exc}", file=sys.stderr)
            return 1
        print(f"wrote {len(written)} files to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
