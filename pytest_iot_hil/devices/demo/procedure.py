"""The demo firmware's update as a campaign procedure.

``DemoUpdate(image)`` updates a booted, confirmed device to ``image`` (slot
B): install, wait for the trial boot (mark ``trial_boot``), confirm (mark
``confirm_acked`` once the device said OK). Its ``retry`` finishes the
update from wherever a cut left it (I10). A procedure for another firmware
is any callable taking the :class:`~pytest_iot_hil.campaign.trace.Device`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

from ...campaign.errors import CampaignError
from ...update import UpdateError
from .images import LazyImage

if TYPE_CHECKING:  # pragma: no cover
    from ...campaign.trace import Device


class _SlotImage:
    """What both procedures hold: the image for ``slot``, read on first use."""

    def __init__(self, image: bytes | str | Path | None, slot: str) -> None:
        self._image = LazyImage(image, slot)
        self.slot = slot

    @property
    def image(self) -> bytes:
        """The new image (read on first use)."""
        return self._image.data

    @property
    def version(self) -> str | None:
        return self._image.version


class DemoUpdate(_SlotImage):
    """The demo update as a campaign procedure: ``DemoUpdate(image)(device)``.

    With ``next_begin=True`` the procedure goes on after the confirm with the
    first step of the *next* update (its BEGIN: a journal write that
    invalidates the now-inactive slot), so that cuts also hit a journal write
    made after the floor was raised (mark ``next_begin``).
    """

    def __init__(self, image: bytes | str | Path | None = None, *, slot: str = "B", next_begin: bool = False) -> None:
        super().__init__(image, slot)
        self.next_begin = next_begin
        self.__name__ = "demo_update_then_begin" if next_begin else "demo_update"

    @property
    def campaign_key(self) -> str:
        return f"DemoUpdate:{self.slot}:{int(self.next_begin)}:{hashlib.sha256(self.image).hexdigest()[:16]}"

    def __call__(self, device: "Device") -> None:
        ota = device.ota
        ota.install(self.image)
        trial = device.boot.wait_for_boot()
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
        info = device.boot.running()
        if info.slot == self.slot and info.version == self.version:
            if info.state == "PENDING":
                ota.confirm()
            return
        ota.install(self.image)
        device.boot.wait_for_boot()
        ota.confirm()


class DemoAttack(_SlotImage):
    """An attack as a campaign procedure: ``DemoAttack(image)(device)`` tries to install an image the device must refuse.

    On a correct device the install is refused at the end of the upload
    (mark ``refused``) and nothing is activated: the cuts land in the
    invalidation of slot B and the upload, and every one must leave the old
    image running. A device that takes the image (a fail-open signature
    check) boots it on trial; the procedure lets it, and the oracle
    (``DemoOracle(new_image=image, hostile=True)``) reports it.
    """

    def __init__(self, image: bytes | str | Path, *, slot: str = "B") -> None:
        super().__init__(image, slot)
        self.__name__ = "demo_attack"

    @property
    def campaign_key(self) -> str:
        return f"DemoAttack:{self.slot}:{hashlib.sha256(self.image).hexdigest()[:16]}"

    def _try(self, device: "Device") -> bool:
        """True when the device refused the image (as it must)."""
        try:
            device.ota.install(self.image)
        except UpdateError as exc:
            if exc.code is None:   # not a refusal: the upload itself failed
                raise
            return True
        device.boot.wait_for_boot()   # it took the image: let it boot, for the oracle to see
        return False

    def __call__(self, device: "Device") -> None:
        if self._try(device):
            device.mark("refused")

    def retry(self, device: "Device") -> None:
        """Try the attack again from wherever a cut left it: it must be refused again."""
        self._try(device)
