"""A simulated SWD probe, registered with pyOCD as the ``simprobe`` probe plugin.

pyOCD drives it exactly as a CMSIS-DAP probe: it connects, powers the debug
port up through DP CTRL/STAT, scans the access ports by their IDR, reads the
ROM table, finds the Cortex-M's System Control Space and talks to the core
through DHCSR, DCRSR, DCRDR, DEMCR and AIRCR. The registers are those of an
ADIv5 SW-DP with one AHB-AP (ARM IHI 0031). Memory goes through the
probe's accelerated memory interface (as an ST-Link's does) or through the
AP's TAR/DRW registers.

Which probes are "plugged in" comes from :mod:`.registry`.
"""

from __future__ import annotations

import struct
from typing import Any, Sequence

from pyocd.core import exceptions
from pyocd.core.memory_interface import MemoryInterface
from pyocd.probe.debug_probe import DebugProbe

from . import registry
from .debug import DebugSystem, MemoryFault, NoResponse

#: SW-DP of a Cortex-M3 (DPv1, designer ARM).
DPIDR_VALUE = 0x2BA01477
#: AHB-AP of a Cortex-M3 (MEM-AP class, AHB type, designer ARM).
AHB_AP_IDR = 0x24770011
DP_ABORT_OR_IDR, DP_CTRL_STAT, DP_SELECT, DP_RDBUFF = 0x0, 0x4, 0x8, 0xC
CSYSPWRUPREQ, CDBGPWRUPREQ = 1 << 30, 1 << 28
AP_CSW, AP_TAR, AP_DRW, AP_BD0, AP_CFG, AP_BASE, AP_IDR = 0x00, 0x04, 0x0C, 0x10, 0xF4, 0xF8, 0xFC
CSW_SIZE_MASK, CSW_ADDRINC_SINGLE, CSW_DEVICEEN = 0x7, 1 << 4, 1 << 6


def _fault(exc: MemoryFault) -> exceptions.TransferFaultError:
    return exceptions.TransferFaultError(f"memory transfer fault at 0x{exc.address:08x}", fault_address=exc.address)


def _no_ack() -> exceptions.TransferError:
    return exceptions.TransferError("no ACK from the target (is it powered?)")


class SimMemoryInterface(MemoryInterface):
    """The AHB-AP's memory, without register-level round trips."""

    def __init__(self, debug: DebugSystem) -> None:
        self._debug = debug

    def _read(self, address: int, size: int) -> bytes:
        try:
            return self._debug.read(address & 0xFFFFFFFF, size)
        except MemoryFault as exc:
            raise _fault(exc) from None
        except NoResponse:
            raise _no_ack() from None

    def _write(self, address: int, data: bytes) -> None:
        try:
            self._debug.write(address & 0xFFFFFFFF, data)
        except MemoryFault as exc:
            raise _fault(exc) from None
        except NoResponse:
            raise _no_ack() from None

    def write_memory(self, addr: int, data: int, transfer_size: int = 32, **attrs: Any) -> None:
        self._write(addr, (data & ((1 << transfer_size) - 1)).to_bytes(transfer_size // 8, "little"))

    def read_memory(self, addr: int, transfer_size: int = 32, now: bool = True, **attrs: Any):
        value = int.from_bytes(self._read(addr, transfer_size // 8), "little")
        return value if now else (lambda: value)

    def write_memory_block32(self, addr: int, data: Sequence[int], **attrs: Any) -> None:
        self._write(addr, struct.pack(f"<{len(data)}I", *data))

    def read_memory_block32(self, addr: int, size: int, **attrs: Any) -> Sequence[int]:
        return list(struct.unpack(f"<{size}I", self._read(addr, size * 4)))

    def write_memory_block8(self, addr: int, data: Sequence[int], **attrs: Any) -> None:
        self._write(addr, bytes(data))

    def read_memory_block8(self, addr: int, size: int, **attrs: Any) -> Sequence[int]:
        return list(self._read(addr, size))


class SimProbe(DebugProbe):
    """One simulated probe; its board is made when the probe is opened, and goes when it is closed."""

    @classmethod
    def get_all_connected_probes(cls, unique_id: str | None = None, is_explicit: bool = False) -> Sequence["SimProbe"]:
        return [cls(uid) for uid in registry.connected()]

    @classmethod
    def get_probe_with_id(cls, unique_id: str, is_explicit: bool = False) -> "SimProbe | None":
        return cls(unique_id) if unique_id in registry.connected() else None

    def __init__(self, unique_id: str) -> None:
        super().__init__()
        self._unique_id = unique_id
        self._kind = registry.kind_of(unique_id)
        self._open = False
        self._protocol: DebugProbe.Protocol | None = None
        self._debug: DebugSystem | None = None
        self._ctrl_stat = 0
        self._select = 0
        self._csw = 0x03000002
        self._tar = 0
        self._reset_held = False
        self.clock = 0

    # -- identity --------------------------------------------------------------------
    @property
    def vendor_name(self) -> str:
        return "pytest-iot-hil"

    @property
    def product_name(self) -> str:
        return f"Simulated SWD probe ({self._kind} board)"

    @property
    def supported_wire_protocols(self) -> Sequence[DebugProbe.Protocol]:
        return [DebugProbe.Protocol.DEFAULT, DebugProbe.Protocol.SWD]

    @property
    def unique_id(self) -> str:
        return self._unique_id

    @property
    def wire_protocol(self) -> DebugProbe.Protocol | None:
        return self._protocol

    @property
    def is_open(self) -> bool:
        return self._open

    @property
    def capabilities(self) -> set:
        return {DebugProbe.Capability.MANAGED_AP_SELECTION}

    @property
    def associated_board_info(self):
        return None

    # -- life ----------------------------------------------------------------------------
    def open(self) -> None:
        if self._open:
            return
        try:
            board = registry.open_board(self._unique_id)
        except registry.ProbeBusy as exc:
            raise exceptions.ProbeError(str(exc)) from None
        self._debug = DebugSystem(board)
        self._open = True

    def close(self) -> None:
        if not self._open:
            return
        self._open = False
        self._debug = None
        registry.close_board(self._unique_id)

    def connect(self, protocol: DebugProbe.Protocol | None = None) -> None:
        self._protocol = DebugProbe.Protocol.SWD

    def disconnect(self) -> None:
        self._protocol = None

    def swj_sequence(self, length: int, bits: int) -> None:
        pass

    def set_clock(self, frequency: float) -> None:
        self.clock = frequency

    @property
    def debug(self) -> DebugSystem:
        if self._debug is None:
            raise exceptions.ProbeDisconnected(f"simulated probe {self._unique_id} is not open")
        return self._debug

    # -- nRESET ------------------------------------------------------------------------
    def reset(self) -> None:
        self._answering()
        self.debug.system_reset()

    def assert_reset(self, asserted: bool) -> None:
        if asserted and not self._reset_held:
            self._reset_held = True
        elif not asserted and self._reset_held:
            self._reset_held = False
            self.debug.system_reset()

    def is_reset_asserted(self) -> bool:
        return self._reset_held

    def flush(self) -> None:
        pass

    # -- DP ---------------------------------------------------------------------------
    def _answering(self) -> None:
        if not self.debug.board.powered:
            raise _no_ack()

    def read_dp(self, addr: int, now: bool = True):
        self._answering()
        reg = addr & 0xC
        if reg == DP_ABORT_OR_IDR:
            value = DPIDR_VALUE
        elif reg == DP_CTRL_STAT:
            # Each power-up request is acknowledged at once (ACK = REQ << 1).
            value = self._ctrl_stat | ((self._ctrl_stat & (CSYSPWRUPREQ | CDBGPWRUPREQ)) << 1)
        else:
            value = 0  # RESEND, RDBUFF
        return value if now else (lambda: value)

    def write_dp(self, addr: int, data: int) -> None:
        self._answering()
        reg = addr & 0xC
        if reg == DP_CTRL_STAT:
            self._ctrl_stat = data & 0x5FFFFFFF
        elif reg == DP_SELECT:
            self._select = data

    # -- AP ---------------------------------------------------------------------------
    def _size(self) -> int:
        return {0: 1, 1: 2, 2: 4}.get(self._csw & CSW_SIZE_MASK, 4)

    def read_ap(self, addr: int, now: bool = True):
        self._answering()
        value = self._read_ap(addr)
        return value if now else (lambda: value)

    def _read_ap(self, addr: int) -> int:
        apsel, reg = (addr >> 24) & 0xFF, addr & 0xFC
        if apsel != 0:
            return 0  # no such AP: its IDR reads as zero
        if reg == AP_IDR:
            return AHB_AP_IDR
        if reg == AP_CFG:
            return 0  # little-endian, 32-bit addresses
        if reg == AP_BASE:
            return 0xE00FF003
        if reg == AP_CSW:
            return self._csw | CSW_DEVICEEN
        if reg == AP_TAR:
            return self._tar
        try:
            if reg == AP_DRW:
                size = self._size()
                lane = self._tar & 3
                raw = self.debug.read(self._tar & ~3, 4)
                self._advance(size)
                return int.from_bytes(raw, "little") if size == 4 else int.from_bytes(raw, "little") & (
                    ((1 << (8 * size)) - 1) << (8 * lane))
            if AP_BD0 <= reg < AP_BD0 + 16:
                return int.from_bytes(self.debug.read((self._tar & ~0xF) + (reg - AP_BD0), 4), "little")
        except MemoryFault as exc:
            raise _fault(exc) from None
        except NoResponse:
            raise _no_ack() from None
        return 0

    def _advance(self, size: int) -> None:
        if self._csw & (3 << 4) == CSW_ADDRINC_SINGLE:
            # Auto-increment wraps within a 4 KiB page, as on ARM's AHB-AP (pyOCD knows it by the IDR).
            self._tar = (self._tar & ~0xFFF) | ((self._tar + size) & 0xFFF)

    def write_ap(self, addr: int, data: int) -> None:
        self._answering()
        apsel, reg = (addr >> 24) & 0xFF, addr & 0xFC
        if apsel != 0:
            return
        try:
            if reg == AP_CSW:
                self._csw = data & ~CSW_DEVICEEN
            elif reg == AP_TAR:
                self._tar = data & 0xFFFFFFFF
            elif reg == AP_DRW:
                size = self._size()
                lane = self._tar & 3
                value = (data >> (8 * lane)) & ((1 << (8 * size)) - 1) if size < 4 else data
                self.debug.write(self._tar, value.to_bytes(size, "little"))
                self._advance(size)
            elif AP_BD0 <= reg < AP_BD0 + 16:
                self.debug.write((self._tar & ~0xF) + (reg - AP_BD0), struct.pack("<I", data))
        except MemoryFault as exc:
            raise _fault(exc) from None
        except NoResponse:
            raise _no_ack() from None

    def read_ap_multiple(self, addr: int, count: int = 1, now: bool = True):
        values = [self._read_ap(addr) for _ in range(count)]
        return values if now else (lambda: values)

    def write_ap_multiple(self, addr: int, values) -> None:
        for value in values:
            self.write_ap(addr, value)

    def get_memory_interface_for_ap(self, ap_address) -> MemoryInterface | None:
        if registry.register_level_only(self._unique_id) or getattr(ap_address, "apsel", 0) != 0:
            return None
        return SimMemoryInterface(self.debug)
