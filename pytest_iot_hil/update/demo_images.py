"""The demo firmware's update images, as built and committed in firmware_fixtures/."""

from __future__ import annotations

from pathlib import Path

from ..errors import FirmwareError
from ..inventory import demo_firmware_dir

from ..images.build import DEMO_SLOT_BASES as SLOT_BASES


def demo_image(name: str, slot: str) -> Path:
    """Path of the demo image ``name`` built for ``slot``.

    ``name`` is a version name (``"v1"``, ``"v2"``, ``"v3-crash"``,
    ``"v4-hang"``, ``"v5-noconfirm"``, ``"downgrade"``) or, for the corrupted
    set, ``"bad/<variant>"`` (see ``firmware_fixtures/build/bad/``).
    """
    slot = slot.upper()
    if slot not in SLOT_BASES:
        raise FirmwareError(f"slot must be 'A' or 'B', not {slot!r}")
    root = demo_firmware_dir()
    if name.startswith("bad/"):
        candidates = sorted((root / "bad").glob(f"*{name[4:]}*slot{slot}*"))
        path = candidates[0] if candidates else root / "bad" / f"{name[4:]}-slot{slot}.signed.bin"
    else:
        path = root / f"app-{name}-slot{slot}.signed.bin"
    if not path.is_file():
        known = sorted(p.name for p in root.glob(f"*slot{slot}*.signed.bin"))
        raise FirmwareError(f"no demo image {name!r} for slot {slot} at {path} (known: {', '.join(known)})")
    return path
