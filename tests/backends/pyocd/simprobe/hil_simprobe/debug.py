"""The debug side of a simulated Cortex-M3: what a debugger sees through its AHB-AP.

Written from the ARMv7-M Architecture Reference Manual (C1: debug registers,
DHCSR/DCRSR/DCRDR/DEMCR, AIRCR) and the CoreSight architecture (ROM table and
component/peripheral ID registers): a ROM table at ``0xE00FF000`` listing one
component, the System Control Space, whose ID registers name an ARMv7-M SCS.
pyOCD discovers the core from exactly these registers, as on silicon.

Everything outside the Private Peripheral Bus goes to the :class:`Board`:
Python memory, or a QEMU machine through its gdbstub.
"""

from __future__ import annotations

import struct
from abc import ABC, abstractmethod

PPB_START, PPB_END = 0xE0000000, 0xE0100000
ROM_TABLE = 0xE00FF000
SCS = 0xE000E000

CPUID = 0xE000ED00
AIRCR = 0xE000ED0C
DFSR = 0xE000ED30
DHCSR = 0xE000EDF0
DCRSR = 0xE000EDF4
DCRDR = 0xE000EDF8
DEMCR = 0xE000EDFC

#: Cortex-M3 r2p1 (ARM, ARMv7-M, part 0xC23).
CORTEX_M3_CPUID = 0x412FC231
DBGKEY = 0xA05F
VECTKEY = 0x05FA
C_DEBUGEN, C_HALT, C_STEP = 1 << 0, 1 << 1, 1 << 2
S_REGRDY, S_HALT = 1 << 16, 1 << 17
DCRSR_REGWNR = 1 << 16
AIRCR_VECTRESET, AIRCR_SYSRESETREQ = 1 << 0, 1 << 2
DEMCR_VC_CORERESET = 1 << 0

# JEP106 code of ARM Ltd: bank 4 (continuation code), identity 0x3B.
_ARM_CONTINUATION, _ARM_IDENTITY = 0x4, 0x3B


class MemoryFault(Exception):
    """The bus answered an access with an error (nothing mapped there)."""

    def __init__(self, address: int) -> None:
        super().__init__(f"bus fault at 0x{address:08x}")
        self.address = address


class NoResponse(Exception):
    """The target does not answer on the wire at all (it has no power)."""


class Board(ABC):
    """The chip behind the simulated probe: memory, a core that halts and runs, a reset."""

    #: A board that models the System Control Space itself (a QEMU machine's NVIC)
    #: gets the SCS registers the debug logic does not own; otherwise they read as stored.
    models_scs = False

    @property
    def powered(self) -> bool:
        """Whether the chip has power; without it the debug port does not answer."""
        return True

    @abstractmethod
    def read(self, address: int, size: int) -> bytes: ...

    @abstractmethod
    def write(self, address: int, data: bytes) -> None: ...

    @property
    @abstractmethod
    def halted(self) -> bool: ...

    @abstractmethod
    def halt(self) -> None: ...

    @abstractmethod
    def resume(self) -> None: ...

    @abstractmethod
    def step(self) -> None: ...

    @abstractmethod
    def read_register(self, regsel: int) -> int:
        """A core register by its DCRSR.REGSEL number (0-12 r0-r12, 13 sp, 14 lr, 15 pc, 16 xPSR, 17 msp, 18 psp)."""

    @abstractmethod
    def write_register(self, regsel: int, value: int) -> None: ...

    @abstractmethod
    def reset(self, *, halt: bool) -> None:
        """System reset; with ``halt`` the core stops at the reset vector (vector catch)."""

    def close(self) -> None:
        """Power the board down for good (the probe was closed)."""


def _id_registers(part: int, component_class: int) -> dict[int, int]:
    """PIDR4..PIDR7, PIDR0..PIDR3, CIDR0..CIDR3 at offsets 0xFD0-0xFFC of a CoreSight component."""
    pidr = {
        0xFD0: _ARM_CONTINUATION, 0xFD4: 0, 0xFD8: 0, 0xFDC: 0,
        0xFE0: part & 0xFF,
        0xFE4: ((part >> 8) & 0xF) | ((_ARM_IDENTITY & 0xF) << 4),
        0xFE8: ((_ARM_IDENTITY >> 4) & 0x7) | 0x8,  # JEDEC bit, revision 0
        0xFEC: 0,
    }
    cidr = {0xFF0: 0x0D, 0xFF4: (component_class << 4) | 0x0, 0xFF8: 0x05, 0xFFC: 0xB1}
    return {**pidr, **cidr}


class DebugSystem:
    """Serves the debugger's view of memory: the PPB from here, the rest from the board."""

    def __init__(self, board: Board) -> None:
        self.board = board
        rom = {
            0x000: ((SCS - ROM_TABLE) & 0xFFFFF000) | 0x3,  # entry 0: the SCS, present, 32-bit format
            0x004: 0,  # end of table
            0xFCC: 0x1,  # MEMTYPE: system memory present on this bus
            **_id_registers(0x4C3, 0x1),  # Cortex-M3 ROM table, class 0x1
        }
        self._fixed = {ROM_TABLE + k: v for k, v in rom.items()}
        self._fixed.update({SCS + k: v for k, v in _id_registers(0x000, 0xE).items()})  # ARMv7-M SCS
        self._fixed[CPUID] = CORTEX_M3_CPUID
        self._stored: dict[int, int] = {}
        self.debugen = False
        self.demcr = 0
        self.dcrdr = 0
        self.dfsr = 0
        #: Every system reset the debugger asked for (AIRCR), for tests.
        self.resets = 0

    # -- words of the PPB ------------------------------------------------------------
    def _read_ppb(self, address: int) -> int:
        if address in self._fixed:
            return self._fixed[address]
        if address == DHCSR:
            halted = self.board.halted
            value = S_REGRDY | (C_DEBUGEN if self.debugen else 0)
            if halted:
                # A board held halted (a blank chip at power-on) reads C_HALT too, so that
                # pyOCD's "enable debug, keep the state" write keeps it halted.
                value |= S_HALT | C_HALT
            return value
        if address == DCRDR:
            return self.dcrdr
        if address == DEMCR:
            return self.demcr
        if address == DFSR:
            return self.dfsr
        if address == AIRCR:
            return (0xFA05 << 16)
        if SCS <= address < SCS + 0x1000 and self.board.models_scs:
            return struct.unpack("<I", self.board.read(address, 4))[0]
        return self._stored.get(address, 0)

    def _write_ppb(self, address: int, value: int) -> None:
        if address == DHCSR:
            if value >> 16 != DBGKEY:
                return  # the key guards every write
            self.debugen = bool(value & C_DEBUGEN)
            if value & C_HALT:
                self.board.halt()
            elif self.board.halted:
                if value & C_STEP and self.debugen:
                    self.board.step()
                else:
                    self.board.resume()
        elif address == DCRSR:
            regsel = value & 0x7F
            if value & DCRSR_REGWNR:
                self.board.write_register(regsel, self.dcrdr)
            else:
                self.dcrdr = self.board.read_register(regsel) & 0xFFFFFFFF
        elif address == DCRDR:
            self.dcrdr = value
        elif address == DEMCR:
            self.demcr = value
        elif address == DFSR:
            self.dfsr &= ~value
        elif address == AIRCR:
            if value >> 16 == VECTKEY and value & (AIRCR_SYSRESETREQ | AIRCR_VECTRESET):
                self.system_reset()
        elif address in self._fixed:
            return  # read-only ID registers
        elif SCS <= address < SCS + 0x1000 and self.board.models_scs:
            self.board.write(address, struct.pack("<I", value))
        else:
            self._stored[address] = value

    def system_reset(self) -> None:
        self.resets += 1
        self.board.reset(halt=bool(self.demcr & DEMCR_VC_CORERESET) and self.debugen)

    # -- any access -------------------------------------------------------------------
    def read(self, address: int, size: int) -> bytes:
        if address + size <= PPB_START or address >= PPB_END:
            return self.board.read(address, size)
        out = bytearray()
        for word in range(address & ~3, address + size, 4):
            if PPB_START <= word < PPB_END:
                out += struct.pack("<I", self._read_ppb(word))
            else:
                out += self.board.read(word, 4)
        skip = address & 3
        return bytes(out[skip : skip + size])

    def write(self, address: int, data: bytes) -> None:
        if address + len(data) <= PPB_START or address >= PPB_END:
            self.board.write(address, data)
            return
        if address & 3 or len(data) & 3:
            # Sub-word stores to the PPB: merge into the word (registers are word-wide).
            for offset, byte in enumerate(data):
                word = (address + offset) & ~3
                current = bytearray(self.read(word, 4))
                current[(address + offset) & 3] = byte
                self._write_ppb(word, struct.unpack("<I", current)[0])
            return
        for offset in range(0, len(data), 4):
            word = address + offset
            if PPB_START <= word < PPB_END:
                self._write_ppb(word, struct.unpack_from("<I", data, offset)[0])
            else:
                self.board.write(word, data[offset : offset + 4])
