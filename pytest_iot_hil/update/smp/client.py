"""The SMP (MCUmgr) update client, on smpclient, with the synchronous API tests use.

smpclient is asyncio only; a test is not. :class:`SmpUpdateClient` keeps one
private event loop for its whole life (the transport's state belongs to it)
and runs each request to completion on it, so a test calls
``ota.install(image)`` like with any other :class:`~pytest_iot_hil.protocols.update.UpdateClient`.

The steps map onto MCUmgr's image group as MCUboot devices implement it
(smp-facts §2): ``transfer`` = image upload into slot 0 (resumed from the
offset the device reports), ``finish`` = image state read (the device has
checked the image when the upload ended: ``match``), ``activate`` = state
write *test* (``permanent=True``: confirm that slot), ``confirm`` = state
write confirm of the running image, ``reboot`` = OS reset. A refusal raises
:class:`~pytest_iot_hil.protocols.update.UpdateError` with SMP's ``rc`` (and
group), the step, and the device's reason string when it sends one.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from ...errors import ConsoleError, HilError
from ...protocols.boot import BootInfo, BootObserver
from ...protocols.update import TransferResult, UpdateClient, UpdateError, image_bytes
from .transport import ConsoleSMPTransport

#: smpclient's requests and helpers, imported once the first client is made (not at plugin load).
_smp: dict[str, Any] = {}


def _lib() -> dict[str, Any]:
    if not _smp:
        from smp.error import MGMT_ERR
        from smp.image_management import IMG_MGMT_ERR
        from smpclient import SMPClient
        from smpclient.exceptions import SMPUploadError
        from smpclient.generics import error, error_v1, error_v2, success
        from smpclient.requests.image_management import ImageStatesRead, ImageStatesWrite
        from smpclient.requests.os_management import EchoWrite, ResetWrite

        _smp.update(locals())
    return _smp


def _image_hash(data: bytes) -> bytes:
    """The SHA-256 TLV of an MCUboot image: what image state write names it by (not the file's hash)."""
    from ...images.mcuboot import TLV_SHA256, read_image

    try:
        info = read_image(data)
    except HilError as exc:
        raise UpdateError(f"cannot name the image for SMP: {exc}", step="activate") from None
    tlv = next((t for t in info.tlvs if t.type == TLV_SHA256), None)
    if tlv is None:
        raise UpdateError("the image has no SHA-256 TLV: SMP names images by it", step="activate")
    return bytes(tlv.value)


class SmpUpdateClient(UpdateClient):
    """Updates any MCUmgr device over its console (SMP over console)."""

    def __init__(self, console, *, timeout: float = 5.0, first_timeout: float = 40.0, attempts: int = 3) -> None:
        super().__init__()
        self.console = console
        self.timeout = timeout
        self.first_timeout = first_timeout
        #: Tries of one request: a frame the device dropped (a damaged one) is sent again.
        self.attempts = attempts
        self.transport = ConsoleSMPTransport(console)
        self._loop = asyncio.new_event_loop()
        self._client = None
        self._image: bytes | None = None
        self.retries = 0

    # -- plumbing -------------------------------------------------------------------------
    def _run(self, coroutine):
        return self._loop.run_until_complete(coroutine)

    @property
    def client(self):
        """The connected smpclient ``SMPClient`` (connects on first use: MCUmgr params read)."""
        if self._client is None:
            lib = _lib()
            client = lib["SMPClient"](self.transport, "console", timeout_s=self.timeout)
            self._run(client.connect())
            self._client = client
        return self._client

    def close(self) -> None:
        """Stop splitting SMP frames off the console and close the event loop."""
        self.transport.detach()
        if not self._loop.is_closed():
            self._loop.close()

    def request(self, request, *, step: str, timeout: float | None = None, attempts: int | None = None):
        """Send one smpclient request; return the typed response, or raise :class:`UpdateError`.

        A request the device does not answer (it drops a damaged frame
        silently) is sent again, ``attempts`` times in all.
        """
        lib = _lib()
        for attempt in range(attempts or self.attempts):
            try:
                response = self._run(self.client.request(request, timeout_s=timeout))
                break
            except TimeoutError:
                if attempt + 1 < (attempts or self.attempts):
                    self.retries += 1
                    continue
                raise UpdateError(f"{step}: the device did not answer {type(request).__name__} within "
                                  f"{timeout or self.timeout:g} s", step=step) from None
            except ConsoleError as exc:
                raise UpdateError(f"{step}: {exc}", step=step) from None
        if lib["error"](response):
            raise self._refusal(response, step)
        return response

    def _refusal(self, response, step: str) -> UpdateError:
        lib = _lib()
        if lib["error_v1"](response):
            rc = int(response.rc)
            name = lib["MGMT_ERR"](rc).name if rc in lib["MGMT_ERR"]._value2member_map_ else str(rc)
            reason = getattr(response, "rsn", None)
            code = reason or name
            return UpdateError(f"{step} refused by the device: rc={rc} ({name}){': ' + reason if reason else ''}",
                               code=code, step=step)
        err = response.err
        rc = int(err.rc)
        group = int(err.group)
        name = getattr(err.rc, "name", str(rc))
        return UpdateError(f"{step} refused by the device: group {group} rc={rc} ({name})", code=name, step=step)

    # -- UpdateClient --------------------------------------------------------------------------
    def transfer(self, image: bytes | str | Path, *, resume: bool = True, stop_at: int | None = None) -> TransferResult:
        """Upload ``image`` into the device's update slot (image 0); the device says where to resume.

        A chunk the device does not answer (a damaged frame it dropped) ends
        smpclient's upload; it is started again and the device's offset
        resumes it, ``attempts`` times in all. With ``stop_at`` the upload
        stops (unfinished) once the device holds that many bytes.
        """
        lib = _lib()
        data = image_bytes(image)
        client = self.client
        started = time.monotonic()
        first: int | None = None
        retries_before = self.retries
        max_chunk = self.transport.max_unencoded_size

        async def upload() -> None:
            nonlocal first
            async for offset in client.upload(data, slot=0, upgrade=False, first_timeout_s=self.first_timeout,
                                              subsequent_timeout_s=self.timeout):
                if first is None:
                    first = offset
                self._report(offset, len(data), started)
                if stop_at is not None and offset >= stop_at and offset < len(data):
                    return

        for attempt in range(self.attempts):
            try:
                self._run(upload())
                break
            except lib["SMPUploadError"] as exc:
                detail = exc.args[0] if exc.args else exc
                if lib["error"](detail):
                    raise self._refusal(detail, "upload") from None
                raise UpdateError(f"upload failed: {detail}", step="upload") from None
            except TimeoutError:
                if attempt + 1 < self.attempts:
                    self.retries += 1
                    continue
                raise UpdateError(f"upload: the device stopped answering (after {self.timeout:g} s, "
                                  f"{self.attempts} attempts)", step="upload") from None
            except ConsoleError as exc:
                raise UpdateError(f"upload: {exc}", step="upload") from None
        self._image = data
        resumed = first if resume and first is not None and first > max_chunk else 0
        return TransferResult(size=len(data), resumed_from=resumed, seconds=time.monotonic() - started,
                              retries=self.retries - retries_before, slot="1")

    def image_states(self) -> list:
        """The device's image list (smp ``ImageState`` objects: slot, version, hash, flags)."""
        return list(self.request(_lib()["ImageStatesRead"](), step="image state read").images)

    def finish(self) -> dict[str, str]:
        """What the device now holds in its update slot (it checked the image when the upload ended)."""
        states = self.image_states()
        if self._image is None:
            raise UpdateError("finish: nothing was transferred", step="finish")
        wanted = _image_hash(self._image)
        entry = next((s for s in states if s.hash == wanted), None)
        if entry is None:
            raise UpdateError("finish: the device lists no image with the transferred image's hash "
                              f"(it lists {[s.version for s in states]})", step="finish")
        return {"slot": str(entry.slot), "version": entry.version}

    def activate(self, *, permanent: bool = False) -> dict[str, str]:
        if self._image is None:
            raise UpdateError("activate: nothing was transferred", step="activate")
        states = self.request(_lib()["ImageStatesWrite"](hash=_image_hash(self._image), confirm=permanent),
                              step="image state write").images
        wanted = _image_hash(self._image)
        entry = next((s for s in states if s.hash == wanted), None)
        state = "CONFIRMED" if permanent else "PENDING"
        if entry is not None and not (entry.pending or entry.permanent or entry.confirmed):
            raise UpdateError("activate: the device did not mark the image for the next boot", step="activate")
        return {"state": state}

    def confirm(self) -> str:
        states = self.request(_lib()["ImageStatesWrite"](confirm=True), step="confirm").images
        active = next((s for s in states if s.active), None)
        return active.version if active is not None else "confirmed"

    def mark_bad(self) -> None:
        raise UpdateError("SMP has no mark-bad command: let the trial image reset without confirming "
                          "(the bootloader reverts it), or use the device's own command", step="mark-bad")

    def reboot(self) -> None:
        self.request(_lib()["ResetWrite"](), step="reset")

    def echo(self, text: str = "hil", *, timeout: float | None = None) -> str:
        """MCUmgr echo: the cheapest "is the SMP server up?" (returns what the device echoed)."""
        return self.request(_lib()["EchoWrite"](d=text), step="echo", timeout=timeout).r


class SmpBootObserver(BootObserver):
    """A boot, as an MCUmgr device shows it: its SMP server answers again, and the image list says what runs."""

    def __init__(self, client: SmpUpdateClient, *, poll_s: float = 0.5) -> None:
        self.client = client
        #: How long one echo may take while the device boots (requests sent during a reset are lost).
        self.poll_s = poll_s

    def wait_for_boot(self, timeout: float | None = None, *, app: bool = True) -> BootInfo:
        deadline = time.monotonic() + (timeout or 10.0)
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                self.client.echo(timeout=min(self.poll_s, max(0.05, deadline - time.monotonic())))
                return self.running()
            except UpdateError as exc:
                last = exc
        import pexpect

        raise pexpect.TIMEOUT(f"the device's SMP server did not answer within {timeout or 10.0:g} s ({last})")

    def running(self) -> BootInfo:
        states = self.client.image_states()
        active = next((s for s in states if s.active), None)
        if active is None:
            return BootInfo(slot=None, version=None, state="RECOVERY", raw=str(states))
        state = "CONFIRMED" if active.confirmed else "PENDING"
        return BootInfo(slot=str(active.slot), version=active.version, state=state, raw=str(active))

    def history(self, transcript: str) -> list[BootInfo]:
        return []  # SMP reports no boots on the console: assertions need a device profile that does
