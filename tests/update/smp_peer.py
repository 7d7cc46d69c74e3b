"""A small SMP server on a loopback socket, as the tests' MCUmgr device (written from smp-facts §2).

It speaks SMP over console: console text lines and base64 frame lines on one
stream, frames decoded and encoded with the `smp` package's own codec and
message models (the device side of the same wire format). It serves the
minimal subset a real MCUboot device offers: MCUmgr params, echo, image
upload (resumable: a restarted upload is answered with the offset already
held), image state read/write (test, confirm), and reset. Every request is
also printed as a text line, so a test sees text and frames interleaved.
"""

from __future__ import annotations

import dataclasses
import hashlib
import socket
import threading

import cbor2

from smp import header as smphdr
from smp import image_management as img
from smp import os_management as os_
from smp import packet as smppacket


@dataclasses.dataclass
class Slot:
    data: bytearray = dataclasses.field(default_factory=bytearray)
    version: str = "0.0.0"
    hash: bytes = b""
    pending: bool = False
    confirmed: bool = False
    permanent: bool = False


class SmpPeer:
    """``socket://127.0.0.1:<port>`` of a simulated MCUmgr device; ``close()`` stops it."""

    def __init__(self, *, buf_size: int | None = 1024, answer_params: bool = True) -> None:
        self.buf_size = buf_size
        self.answer_params = answer_params
        self.slots = [Slot(version="1.0.0", hash=b"\x11" * 32, confirmed=True), Slot()]
        self.active = 0
        self.upload_len = 0
        self.upload_sha = b""
        self.requests: list[tuple[int, int, int]] = []   # (op, group, id)
        self.refuse_upload: str | None = None
        #: Stop answering SMP (a wedged SMP server; the link stays up).
        self.mute = False
        self.resets = 0
        self._server = socket.socket()
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(1)
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"socket://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._stop.set()
        self._server.close()
        self._thread.join(5)

    # -- the wire ------------------------------------------------------------------------
    def _serve(self) -> None:
        try:
            conn, _ = self._server.accept()
        except OSError:
            return
        conn.settimeout(0.05)
        self._conn = conn
        self._say("shell> device up")
        pending = b""
        decoder = None
        while not self._stop.is_set():
            try:
                chunk = conn.recv(4096)
            except socket.timeout:
                continue
            except OSError:
                break
            if not chunk:
                break
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                line += b"\n"
                if line.startswith(smppacket.START_DELIMITER):
                    decoder = smppacket.decode()
                    next(decoder)
                if line[:2] in (smppacket.START_DELIMITER, smppacket.CONTINUE_DELIMITER) and decoder is not None:
                    try:
                        decoder.send(line)
                    except StopIteration as done:
                        decoder = None
                        self._answer(bytes(done.value))
                    except Exception:
                        decoder = None  # a broken frame is dropped, as a device does
                else:
                    self._say(f"shell: got {line.strip().decode(errors='replace')!r}")
        conn.close()

    def _say(self, text: str) -> None:
        self._conn.sendall(text.encode() + b"\r\n")

    def _send(self, response) -> None:
        self._send_frame(response.BYTES)

    def _send_frame(self, frame: bytes) -> None:
        self._conn.sendall(b"".join(smppacket.encode(frame, line_length=128)))

    def _error(self, head, rc: int, rsn: str | None = None) -> None:
        """``{"rc": rc, "rsn": ...}`` (an SMP v1 error, with Zephyr's verbose reason) for the request ``head``."""
        body = cbor2.dumps({"rc": rc, **({"rsn": rsn} if rsn else {})})
        reply = smphdr.Header(op=smphdr.OP(int(head.op) + 1), version=head.version, flags=smphdr.Flag(0),
                              length=len(body), group_id=head.group_id, sequence=head.sequence,
                              command_id=head.command_id)
        self._send_frame(reply.BYTES + body)

    # -- the handlers ----------------------------------------------------------------------
    def _answer(self, frame: bytes) -> None:
        head = smphdr.Header.loads(frame[: smphdr.Header.SIZE])
        key = (int(head.op), int(head.group_id), int(head.command_id))
        self.requests.append(key)
        seq = head.sequence
        if self.mute:
            return
        self._say(f"smp request op={key[0]} group={key[1]} id={key[2]}")
        if key == (0, 0, 6):
            if self.answer_params:
                self._send(os_.MCUMgrParametersReadResponse(sequence=seq, buf_size=self.buf_size, buf_count=1))
        elif key == (2, 0, 0):
            request = os_.EchoWriteRequest.loads(frame)
            self._send(os_.EchoWriteResponse(sequence=seq, r=request.d))
        elif key == (2, 0, 5):
            self._send(os_.ResetWriteResponse(sequence=seq))
            self.resets += 1
            self._boot()
        elif key == (2, 1, 1):
            self._upload(img.ImageUploadWriteRequest.loads(frame), seq, head)
        elif key == (0, 1, 0):
            self._send(img.ImageStatesReadResponse(sequence=seq, images=self._states()))
        elif key == (2, 1, 0):
            self._state_write(img.ImageStatesWriteRequest.loads(frame), seq, head)
        else:
            self._error(head, 8)

    def _upload(self, request, seq: int, head) -> None:
        slot = self.slots[1]
        if request.off == 0 and request.len is not None:
            if self.refuse_upload:
                self._error(head, 3, self.refuse_upload)
                return
            if request.sha != self.upload_sha or request.len != self.upload_len:
                slot.data = bytearray()
                slot.version, slot.pending, slot.confirmed, slot.permanent = "0.0.0", False, False, False
            elif len(slot.data):
                # The same upload again: say where it stopped (smpclient resumes from there).
                self._send(img.ImageUploadWriteResponse(sequence=seq, off=len(slot.data)))
                return
            self.upload_len, self.upload_sha = request.len, request.sha
        if request.off != len(slot.data):
            self._send(img.ImageUploadWriteResponse(sequence=seq, off=len(slot.data)))
            return
        slot.data += request.data
        done = len(slot.data) == self.upload_len
        if done:
            slot.hash = _sha256_tlv(bytes(slot.data))
            slot.version = _version(bytes(slot.data))
            match = hashlib.sha256(bytes(slot.data)).digest() == self.upload_sha
            self._send(img.ImageUploadWriteResponse(sequence=seq, off=len(slot.data), match=match))
        else:
            self._send(img.ImageUploadWriteResponse(sequence=seq, off=len(slot.data)))

    def _state_write(self, request, seq: int, head) -> None:
        if request.hash is None:
            if not request.confirm:
                self._error(head, 3)
                return
            self.slots[self.active].confirmed = True
        else:
            index = next((i for i, s in enumerate(self.slots) if s.hash == request.hash), None)
            if index is None:
                self._error(head, 3, "no image with that hash")
                return
            self.slots[index].pending = True
            self.slots[index].permanent = bool(request.confirm)
        self._send(img.ImageStatesWriteResponse(sequence=seq, images=self._states()))

    def _states(self) -> list:
        out = []
        for i, s in enumerate(self.slots):
            if s.hash:
                out.append(img.ImageState(slot=i, version=s.version, hash=s.hash, active=i == self.active,
                                          pending=s.pending or None, confirmed=s.confirmed or None,
                                          permanent=s.permanent or None, bootable=True))
        return out

    def _boot(self) -> None:
        """A reset: a pending image swaps in on trial (MCUboot's test swap), unconfirmed."""
        new = self.slots[1]
        if new.pending:
            new.pending = False
            self.slots = [dataclasses.replace(new, confirmed=new.permanent), self.slots[0]]
            self.slots[1].confirmed = False
        self._say("*** Booting MCUboot image ***")


def _sha256_tlv(image: bytes) -> bytes:
    from pytest_iot_hil.images.mcuboot import TLV_SHA256, read_image

    info = read_image(image)
    tlv = next(t for t in info.tlvs if t.type == TLV_SHA256)
    return bytes(tlv.value)


def _version(image: bytes) -> str:
    from pytest_iot_hil.images.mcuboot import read_image

    return read_image(image).version.split("+")[0]
