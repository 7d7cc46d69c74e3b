"""The demo device's update client: SMP (MCUmgr) over its console, plus its shell's ``mark-bad``.

The demo app serves MCUmgr's SMP next to its shell (``firmware_fixtures/PROTOCOL.md``
§7a), so the profile's client is the generic :class:`~pytest_iot_hil.update.smp.client.SmpUpdateClient`
with what only this firmware offers: ``mark_bad`` (its shell command), a
bare ``begin`` (the first upload request without data: the BEGIN journal
record alone, for campaigns), and refusals coded by the firmware's own names
(``E_HASH``, ``E_ROLLBACK``, ...: the first word of SMP's ``rsn``).

How the device reports its boots (the BOOT line, ``info``) is the profile's
boot observer (``boot.py``), not part of the update client.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ...protocols.update import UpdateError, image_bytes
from ...update.smp.client import SmpUpdateClient, _lib


class DemoUpdateClient(SmpUpdateClient):
    """SMP to the demo app (and its shell for what SMP lacks)."""

    def __init__(self, console, *, reply_timeout: float = 5.0, **kwargs) -> None:
        super().__init__(console, timeout=reply_timeout, **kwargs)
        self.reply_timeout = reply_timeout

    def _refusal(self, response, step: str) -> UpdateError:
        error = super()._refusal(response, step)
        reason = getattr(response, "rsn", None)
        if reason:
            error.code = reason.split()[0]   # "E_HASH image-hash-mismatch" -> E_HASH
        return error

    def begin(self, image: bytes | str | Path) -> dict[str, str]:
        """Only the first step of an update: the device invalidates its inactive slot (BEGIN), nothing is sent."""
        from smpclient.requests.image_management import ImageUploadWrite

        data = image_bytes(image)
        response = self.request(ImageUploadWrite(off=0, data=b"", image=0, len=len(data),
                                                 sha=hashlib.sha256(data).digest()), step="upload")
        return {"next": str(response.off)}

    def _command(self, command: str, ok: str) -> str:
        # Patterns end at the line end: a reply arrives byte by byte.
        self.console.sendline(command)
        index = self.console.expect([ok + r"\r?\n", r"ERR[^\r\n]*\r?\n"], timeout=self.reply_timeout)
        if index == 1:
            raise UpdateError(f"`{command}` failed: {self.console.after.strip()}", code="ERR", step=command)
        return self.console.after

    def mark_bad(self) -> None:
        """The demo shell's ``mark-bad``: the running image is marked BAD and the device rolls back."""
        self._command("mark-bad", r"OK mark-bad")


__all__ = ["DemoUpdateClient", "_lib"]
