"""The demo firmware's update as a campaign procedure, and facts read from MCUboot headers.

``DemoUpdate(image)`` updates a booted, confirmed device to ``image`` (slot
B): install, wait for the trial boot (mark ``trial_boot``), confirm (mark
``confirm_acked`` once the device said OK). Its ``retry`` finishes the
update from wherever a cut left it (I10). A procedure for another firmware
is any callable taking the :class:`~pytest_iot_hil.campaign.trace.Device`.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from ..update.demo_images import demo_image
from .errors import CampaignError

if TYPE_CHECKING:  # pragma: no cover
    from .trace import Device

_IMAGE_MAGIC = 0x96F3B83D


def load_image(image: bytes | str | Path) -> bytes:
    """The bytes of an image given as bytes or as a path."""
    return bytes(image) if isinstance(image, (bytes, bytearray)) else Path(image).read_bytes()


def header_version(slot: bytes) -> str | None:
    """``major.minor.revision`` of the MCUboot header at the start of ``slot`` (None: no header)."""
    if len(slot) < 32 or struct.unpack_from("<I", slot)[0] != _IMAGE_MAGIC:
        return None
    major, minor, rev = struct.unpack_from("<BBH", slot, 20)
    return f"{major}.{minor}.{rev}"


def image_extent(slot: bytes) -> int:
    """Bytes the image at the start of ``slot`` claims (header + payload + both TLV areas); 0 if none."""
    if len(slot) < 32 or struct.unpack_from("<I", slot)[0] != _IMAGE_MAGIC:
        return 0
    hdr, prot, size = struct.unpack_from("<HHI", slot, 8)
    unprot_at = hdr + size + prot
    if unprot_at + 4 > len(slot):
        return len(slot)
    return min(len(slot), unprot_at + struct.unpack_from("<H", slot, unprot_at + 2)[0])


def security_counter(slot: bytes) -> int | None:
    """SEC_CNT from the protected TLVs of the image at the start of ``slot``."""
    if not image_extent(slot):
        return None
    hdr, prot, size = struct.unpack_from("<HHI", slot, 8)
    # A torn or garbled header may claim more than the slot holds.
    off, end = hdr + size + 4, min(hdr + size + prot, len(slot))
    while off + 8 <= end:
        tlv_type, length = struct.unpack_from("<HH", slot, off)
        if tlv_type == 0x50 and length == 4:
            return struct.unpack_from("<I", slot, off + 4)[0]
        off += 4 + length
    return None


class DemoUpdate:
    """The demo update as a campaign procedure: ``DemoUpdate(image)(device)``.

    With ``next_begin=True`` the procedure goes on after the confirm with the
    first step of the *next* update (its BEGIN: a journal write that
    invalidates the now-inactive slot), so that cuts also hit a journal write
    made after the floor was raised (mark ``next_begin``).
    """

    def __init__(self, image: bytes | str | Path | None = None, *, slot: str = "B", next_begin: bool = False) -> None:
        self.image = load_image(image if image is not None else demo_image("v2", slot))
        self.slot = slot
        self.version = header_version(self.image)
        self.next_begin = next_begin
        self.__name__ = "demo_update_then_begin" if next_begin else "demo_update"

    @property
    def campaign_key(self) -> str:
        return f"DemoUpdate:{self.slot}:{int(self.next_begin)}:{hashlib.sha256(self.image).hexdigest()[:16]}"

    def __call__(self, device: "Device") -> None:
        ota = device.ota
        ota.install(self.image)
        trial = ota.wait_for_boot()
        if (trial.slot, trial.state) != (self.slot, "PENDING"):
            raise CampaignError(f"after the install the device booted {trial.raw!r}, not a trial of slot {self.slot}")
        device.mark("trial_boot")
        ota.confirm()
        device.mark("confirm_acked")
        if self.next_begin:
            # Only the size and digest matter to BEGIN; nothing is transferred.
            ota.begin(self.image)
            device.mark("next_begin")

    def retry(self, device: "Device") -> None:
        """Finish the update from wherever a cut left it (I10)."""
        ota = device.ota
        info = ota.info()
        if info.slot == self.slot and info.version == self.version:
            if info.state == "PENDING":
                ota.confirm()
            return
        ota.install(self.image)
        ota.wait_for_boot()
        ota.confirm()
