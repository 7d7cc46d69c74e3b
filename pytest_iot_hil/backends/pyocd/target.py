"""Real boards through pyOCD: any Cortex-M behind a CMSIS-DAP, ST-Link, J-Link or pyOCD probe server.

How a board is driven (pyOCD 0.46):

* The probe is chosen by its unique id (``probe = "0669FF..."``, a unique
  substring is enough; ``remote:host:port`` is pyOCD's probe server), never
  blocking and never prompting: no match, or several, ends with one line
  naming every probe that is connected.
* The session opens with the inventory's ``target_type`` (``pyocd list
  --targets``), ``frequency``, ``connect_mode`` and ``pack``.
* Firmware goes through pyOCD's ``FileProgrammer`` (``.elf``, ``.hex``,
  ``.bin`` at ``load_address``); pyOCD no longer resets after programming,
  so the target resets explicitly, with the console already open.
* Memory reads run while the core runs (the AHB-AP is non-intrusive);
  writes into what pyOCD's memory map of the part calls flash go through its
  flash loader (sector erase and program, the rest of each sector kept),
  others are plain stores.
* The session is closed by :meth:`close` on every path the pytest layer
  takes (a failed test, ``-x``, Ctrl-C), and at interpreter exit; a killed
  worker's USB handles are dropped by the kernel.
"""

from __future__ import annotations

import atexit
import logging
import weakref
from pathlib import Path
from typing import Any

import serial

from ...console.ports import close_port
from ...errors import BackendUnavailable, HilConfigError, TargetError
from ...firmware import FirmwareImage
from ...protocols.target import Target, TargetDescription

#: Keys of a [targets.NAME] table the pyOCD backend understands (plus the common ones).
OPTION_KEYS = {"probe", "target_type", "frequency", "connect_mode", "reset_type", "erase", "pack",
               "console", "baudrate", "console_reopen_s", "pyocd_options", "timeout"}
CONNECT_MODES = ("halt", "pre-reset", "under-reset", "attach")
#: Our reset kinds and pyOCD's reset types.
RESET_KINDS = {"hardware": "HARDWARE", "software": "SYSTEM", "core": "CORE", "halt": None}
ERASE_MODES = ("sector", "chip", "auto")
_FILE_FORMATS = {".elf": "elf", ".axf": "elf", ".hex": "hex", ".ihex": "hex", ".bin": "bin", ".img": "bin"}

_open_targets: "weakref.WeakSet[PyocdTarget]" = weakref.WeakSet()


def _close_all() -> None:
    for target in list(_open_targets):
        target.close()


atexit.register(_close_all)


def _pyocd():
    try:
        from pyocd.core.helpers import ConnectHelper
    except ImportError:
        raise BackendUnavailable(
            "pyOCD is not installed (needed by the pyocd backend): pip install 'pytest-iot-hil[bench]' "
            "(or pip install pyocd)"
        ) from None
    # Its probe scan logs libusb warnings on every call; they are not ours to show.
    logging.getLogger("pyocd.probe").setLevel(logging.ERROR)
    return ConnectHelper


def _where(description: TargetDescription) -> str:
    return f"{description.source}: target {description.name!r}"


def known_target_types() -> set[str]:
    """pyOCD's built-in target types and those of installed CMSIS packs."""
    from pyocd.target import TARGET

    names = {name.lower() for name in TARGET}
    try:
        from pyocd.target.pack.pack_target import ManagedPacks

        names |= {dev.part_number.lower() for dev in ManagedPacks.get_installed_targets()}
    except Exception:  # no pack cache yet, or cmsis-pack-manager missing: built-ins only
        pass
    return names


def validate(description: TargetDescription) -> None:
    where = _where(description)
    opts = description.options
    unknown = sorted(set(opts) - OPTION_KEYS)
    if unknown:
        raise HilConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)} for backend pyocd (known: {', '.join(sorted(OPTION_KEYS))}, "
            "and the keys every backend has: backend, device, firmware, flash, regions, load_address, erased_byte, power, tags)"
        )
    _pyocd()
    target_type = opts.get("target_type")
    if not isinstance(target_type, str) or not target_type:
        raise HilConfigError(f'{where}: add `target_type` (pyOCD\'s name for the part, e.g. target_type = "stm32f429zi"; '
                             "list them with `pyocd list --targets`)")
    for key in ("probe", "console"):
        if key in opts and (not isinstance(opts[key], str) or not opts[key]):
            raise HilConfigError(f"{where}: `{key}` must be a string, not {opts[key]!r}")
    packs = opts.get("pack", [])
    packs = [packs] if isinstance(packs, str) else packs
    if not isinstance(packs, list) or not all(isinstance(p, str) for p in packs):
        raise HilConfigError(f"{where}: `pack` must be a path to a .pack file or a list of them, not {opts.get('pack')!r}")
    for pack in packs:
        path = _pack_path(description, pack)
        if not path.is_file():
            raise HilConfigError(f"{where}: CMSIS pack {pack!r} not found ({path}): download the part's DFP from "
                                 "https://www.keil.arm.com/devices/ or install it with `pyocd pack install "
                                 f"{target_type}` and drop `pack`")
    if not packs and target_type.lower() not in known_target_types():
        raise HilConfigError(
            f"{where}: pyOCD does not know target type {target_type!r}: install its pack with "
            f"`pyocd pack install {target_type}`, set `pack = \"/path/to/Vendor.Family_DFP.pack\"`, "
            "or pick a name from `pyocd list --targets`"
        )
    for key, allowed in (("connect_mode", CONNECT_MODES), ("reset_type", tuple(RESET_KINDS)), ("erase", ERASE_MODES)):
        if key in opts and opts[key] not in allowed:
            raise HilConfigError(f"{where}: `{key}` = {opts[key]!r}: choose one of {', '.join(allowed)}")
    for key, low, high in (("frequency", 1_000, 100_000_000), ("baudrate", 50, 20_000_000),
                           ("console_reopen_s", 0, 600), ("timeout", 0.1, 3600)):
        value = opts.get(key)
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high):
            raise HilConfigError(f"{where}: `{key}` must be a number from {low} to {high}, not {value!r}")
    if "pyocd_options" in opts and not isinstance(opts["pyocd_options"], dict):
        raise HilConfigError(f"{where}: `pyocd_options` must be a table of pyOCD session options "
                             "(see `pyocd list --options`)")


def _pack_path(description: TargetDescription, pack: str) -> Path:
    """A pack path as written in the inventory: relative to the inventory file."""
    base = Path.cwd() if description.source.startswith("<") else Path(description.source).parent
    return Path(pack) if Path(pack).is_absolute() else base / pack


def _probe_line(probe: Any) -> str:
    return f"{probe.unique_id} ({probe.description})"


def connected_probes() -> list[Any]:
    return list(_pyocd().get_all_connected_probes(blocking=False, print_wait_message=False))


def choose_probe(description: TargetDescription) -> Any:
    """The one connected probe this target names; raises with every connected probe listed."""
    helper = _pyocd()
    wanted = description.options.get("probe")
    where = _where(description)
    if wanted and ":" in wanted:
        # `plugin:rest` names a probe plugin explicitly (pyOCD's `remote:host:port` probe server).
        found = list(helper.get_all_connected_probes(blocking=False, unique_id=wanted, print_wait_message=False))
        if len(found) == 1:
            return found[0]
        raise TargetError(f"{where}: pyOCD found no probe for {wanted!r}: check that `pyocd server` runs there "
                          "and the port is reachable")
    everything = list(helper.get_all_connected_probes(blocking=False, print_wait_message=False))
    listed = ", ".join(_probe_line(p) for p in everything) or "none"
    if not wanted:
        if len(everything) == 1:
            return everything[0]
        raise TargetError(f"{where}: {'no debug probe is connected' if not everything else 'several probes are connected'} "
                          f"(connected: {listed}): set `probe` to the board's probe id (`pyocd list`)")
    exact = [p for p in everything if p.unique_id.lower() == wanted.lower()]
    matches = exact or [p for p in everything if wanted.lower() in p.unique_id.lower()]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise TargetError(f"{where}: no debug probe {wanted!r} is connected (connected: {listed}): plug the board in, "
                          "check `pyocd list`, or fix `probe`")
    raise TargetError(f"{where}: probe {wanted!r} matches {len(matches)} connected probes "
                      f"({', '.join(_probe_line(p) for p in matches)}): give more of its unique id in `probe`")


def preflight(description: TargetDescription) -> None:
    """The named probe is connected (once, before any test)."""
    try:
        choose_probe(description)
    except TargetError as exc:
        raise HilConfigError(str(exc)) from None


class PyocdTarget(Target):
    backend = "pyocd"

    def __init__(self, description: TargetDescription) -> None:
        super().__init__(description)
        opts = description.options
        self._target_type = str(opts["target_type"])
        self._reset_kind = str(opts.get("reset_type", "software"))
        self._erase = str(opts.get("erase", "sector"))
        self._console_url = opts.get("console")
        self._baudrate = int(opts.get("baudrate", 115200))
        self.console_reopen_s = float(opts.get("console_reopen_s", 0.0))
        self._timeout = float(opts.get("timeout", 10.0))
        self._session: Any = None
        self._probe_id: str | None = None
        self._probe_description = ""
        self._port: Any = None
        #: Between start() and close(): a session lost with the board's power is opened again.
        self._started = False
        self.resets = 0

    # -- session -----------------------------------------------------------------------
    def _session_options(self, connect_mode: str | None = None) -> dict[str, Any]:
        opts = self.description.options
        options: dict[str, Any] = dict(opts.get("pyocd_options", {}))
        options["target_override"] = self._target_type
        options["connect_mode"] = connect_mode or opts.get("connect_mode", "halt")
        if "frequency" in opts:
            options["frequency"] = int(opts["frequency"])
        if "pack" in opts:
            packs = opts["pack"] if isinstance(opts["pack"], list) else [opts["pack"]]
            options["pack"] = [str(_pack_path(self.description, p)) for p in packs]
        # pyOCD unlocks a read-protected part by mass-erasing it unless told not to: a test must not do that.
        options.setdefault("auto_unlock", False)
        # Its progress bars go to stdout, into the middle of pytest's own output.
        options.setdefault("hide_programming_progress", True)
        return options

    def _open_session(self, connect_mode: str | None = None) -> None:
        from pyocd.core import exceptions
        from pyocd.core.session import Session

        probe = choose_probe(self.description)
        self._probe_id, self._probe_description = probe.unique_id, probe.description
        session = Session(probe, auto_open=False, **self._session_options(connect_mode))
        where = _where(self.description)
        try:
            session.open()
        except exceptions.TargetSupportError as exc:
            self._drop(session)
            raise TargetError(f"{where}: pyOCD cannot drive target type {self._target_type!r} ({exc}): "
                              f"`pyocd pack install {self._target_type}` or set `pack`") from None
        except exceptions.ProbeError as exc:
            self._drop(session)
            raise TargetError(f"{where}: probe {probe.unique_id} could not be opened ({exc}): close any other "
                              "debugger using it (an IDE, `pyocd gdbserver`)") from None
        except exceptions.Error as exc:
            self._drop(session)
            raise TargetError(f"{where}: no target answers on probe {probe.unique_id} ({exc}): check the SWD "
                              "cable, the board's power, and `frequency`") from None
        except BaseException:
            self._drop(session)
            raise
        self._session = session
        _open_targets.add(self)

    @staticmethod
    def _drop(session: Any) -> None:
        try:
            session.close()
        except Exception:
            pass

    @property
    def session(self) -> Any:
        """The open pyOCD ``Session`` (for what this class does not wrap: RTT, SWO, breakpoints)."""
        if self._session is None:
            raise TargetError(f"target {self.name!r} has no open pyOCD session: start() it first")
        return self._session

    def _recovering(self, what: str, call):
        """Run ``call(target)``; after a lost connection (the board was power-cycled) re-attach once."""
        from pyocd.core import exceptions

        if self._session is None and self._started:
            self._open_session(connect_mode="attach")  # lost on an earlier call: the board is back?
        try:
            return call(self.session.target)
        except exceptions.TransferFaultError as exc:
            raise TargetError(f"target {self.name!r}: {what} faulted at 0x{exc.fault_address or 0:08x}: "
                              "nothing is mapped there") from None
        except (exceptions.TransferError, exceptions.ProbeError) as first:
            self._drop(self._session)
            self._session = None
            try:
                self._open_session(connect_mode="attach")
                return call(self.session.target)
            except (exceptions.Error, TargetError) as exc:
                raise TargetError(f"target {self.name!r}: {what} failed ({first}), and again after re-attaching "
                                  f"({exc})") from None

    # -- Target ------------------------------------------------------------------------
    def start(self, firmware: FirmwareImage | None) -> None:
        self._open_session()
        self._started = True
        self._open_console()
        if firmware is not None:
            self.program(firmware)
        else:
            self.reset()

    def close(self) -> None:
        self._started = False
        _open_targets.discard(self)
        if self._port is not None:
            close_port(self._port)
            self._port = None
        if self._session is not None:
            session, self._session = self._session, None
            self._drop(session)

    def reset(self, kind: str | None = None) -> None:
        """Reset the board: ``hardware`` (nRESET), ``software`` (SYSRESETREQ), ``core`` (VECTRESET), or
        ``halt`` (reset and stop at the reset vector). Default: the inventory's ``reset_type``."""
        from pyocd.core.target import Target as PyocdCore

        kind = kind or self._reset_kind
        if kind not in RESET_KINDS:
            raise ValueError(f"reset kind {kind!r}: choose one of {', '.join(RESET_KINDS)}")
        if kind == "halt":
            self._recovering("reset and halt", lambda t: t.reset_and_halt())
        else:
            reset_type = getattr(PyocdCore.ResetType, RESET_KINDS[kind])
            self._recovering("reset", lambda t: t.reset(reset_type))
        self.resets += 1

    def halt(self) -> None:
        self._recovering("halt", lambda t: t.halt())

    def resume(self) -> None:
        self._recovering("resume", lambda t: t.resume())

    def read_memory(self, address: int, size: int) -> bytes:
        return bytes(self._recovering(f"reading {size} bytes at 0x{address:08x}",
                                      lambda t: t.read_memory_block8(address, size)))

    def write_memory(self, address: int, data: bytes) -> None:
        if self._in_flash(address, len(data)):
            # Flash takes erase and program, through the part's flash algorithm.
            self._load([(address, bytes(data))], f"writing {len(data)} bytes of flash at 0x{address:08x}")
            return
        self._recovering(f"writing {len(data)} bytes at 0x{address:08x}",
                         lambda t: t.write_memory_block8(address, list(data)))

    def _in_flash(self, address: int, size: int) -> bool:
        """Whether pyOCD's memory map of the part has flash in ``address``..``address + size``."""
        regions = self.session.target.memory_map.get_intersecting_regions(address, address + size - 1)
        return any(region.is_flash for region in regions)

    def _load(self, segments: list[tuple[int, bytes]], what: str) -> None:
        from pyocd.flash.loader import MemoryLoader

        def load(_target):
            loader = MemoryLoader(self.session, chip_erase=self._erase, trust_crc=False)
            for address, data in segments:
                loader.add_data(address, data)
            loader.commit()

        self._recovering(what, load)

    def erase(self, start: int | None = None, size: int | None = None, *, chip: bool = False) -> None:
        """Erase the sectors covering ``start``..``start + size`` (default: the whole flash region), or the chip."""
        from pyocd.flash.eraser import FlashEraser

        if chip:
            self._recovering("chip erase", lambda _t: FlashEraser(self.session, FlashEraser.Mode.CHIP).erase())
            return
        flash = self.description.flash
        if start is None:
            if flash is None:
                raise HilConfigError(f"{_where(self.description)}: erase() needs a range, or `flash` in the inventory")
            start, size = flash.start, flash.size
        spec = f"{start:#x}+{(size or 1):#x}"
        self._recovering(f"erasing {spec}", lambda _t: FlashEraser(self.session, FlashEraser.Mode.SECTOR).erase([spec]))

    def program(self, firmware: FirmwareImage) -> None:
        from pyocd.flash.file_programmer import FileProgrammer

        path = Path(firmware.path)
        file_format = _FILE_FORMATS.get(path.suffix.lower())
        if path.is_file() and file_format is not None:
            def program(_target):
                programmer = FileProgrammer(self.session, chip_erase=self._erase, trust_crc=False)
                extra = {"base_address": self.description.load_address} if file_format == "bin" else {}
                programmer.program(str(path), file_format=file_format, **extra)

            self._recovering(f"programming {path.name}", program)
        else:
            self._load([(s.address, s.data) for s in firmware.segments], f"programming {path.name}")
        # pyOCD (0.44.1 on) leaves the core where it was after programming: boot the new image.
        self.reset()

    # -- console -----------------------------------------------------------------------
    def _connect_console(self) -> Any:
        return serial.serial_for_url(self._console_url, baudrate=self._baudrate, timeout=0)

    def _open_console(self) -> None:
        if self._console_url is None or self._port is not None:
            return
        try:
            self._port = self._connect_console()
        except (serial.SerialException, ValueError) as exc:
            raise TargetError(f"{_where(self.description)}: cannot open console {self._console_url!r}: {exc}: "
                              "check `console` (a device path, rfc2217:// or socket:// URL)") from None
        try:
            self._port.reset_input_buffer()  # what the board said before this session is not this test's
        except Exception:
            pass

    def console_port(self) -> Any:
        if self._console_url is None:
            raise HilConfigError(f'{_where(self.description)}: the test needs a console: add `console = "/dev/ttyACM0"` '
                                 '(or an rfc2217:// or socket:// URL) and `baudrate`')
        self._open_console()
        return self._port

    def reopen_console(self) -> Any:
        """Open the console port again (a USB serial port that vanished across a power cycle)."""
        port = self._connect_console()
        old, self._port = self._port, port
        if old is not None:
            close_port(old)
        return port

    # -- reporting ---------------------------------------------------------------------
    def properties(self) -> dict[str, str]:
        props = super().properties()
        props["hil_pyocd_target_type"] = self._target_type
        if self._probe_id:
            props["hil_probe"] = self._probe_id
            props["hil_probe_description"] = self._probe_description
        if self._console_url:
            props["hil_console"] = str(self._console_url)
        return props
