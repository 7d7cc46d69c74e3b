"""The inventory: which targets exist, read from a TOML file (``hil.toml``).

Example::

    default_target = "bench"

    [targets.bench]
    backend = "qemu"
    device = "demo"                     # the device profile of its firmware
    machine = "mps2-an385"
    firmware = "build/app.elf"          # relative to this file
    flash = { start = 0x0, size = 0x100000 }

    [targets.bench.regions]
    bootloader = { start = 0x00000, size = 0xC000 }

Keys every backend understands are listed in ``COMMON_KEYS``; every other key
of a target is passed to its backend, which validates it. Targets that exist
without a file (a device profile's built-in ones) come from the
``pytest_hil_builtin_targets`` hook.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Iterable

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from .errors import HilConfigError
from .protocols.target import MemoryRegion, TargetDescription

COMMON_KEYS = {"backend", "device", "firmware", "flash", "regions", "load_address", "erased_byte", "power",
               "update", "description", "tags"}

#: Update clients the inventory can name without a device profile (``update = "smp"``).
UPDATE_CLIENTS = ("smp",)
#: Cortex-M addresses are 32 bits: every range must end at or below 4 GiB.
ADDRESS_SPACE_END = 1 << 32
#: The largest flash a target may describe: emulators keep the whole of it
#: as one image (built, saved at every power cut, written back at power-on).
MAX_FLASH_SIZE = 64 << 20

#: The built-in target a run uses when nothing else is configured (the demo
#: profile provides it); without it, the first built-in target.
DEFAULT_TARGET = "qemu-mps2-an385"


def _int(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise HilConfigError(f"{where} must be a non-negative integer (e.g. 0x10000), not {value!r}")
    return value


def _address(value: Any, where: str) -> int:
    address = _int(value, where)
    if address >= ADDRESS_SPACE_END:
        raise HilConfigError(f"{where} = {address:#x} is past the 32-bit address space (limit {ADDRESS_SPACE_END:#x})")
    return address


def _region(name: str, value: Any, where: str) -> MemoryRegion:
    if not isinstance(value, dict) or set(value) - {"start", "size", "nonvolatile"} or not {"start", "size"} <= set(value):
        raise HilConfigError(f"{where} must be a table like {{ start = 0x10000, size = 0x78000 }}")
    size = _int(value["size"], f"{where}.size")
    if size == 0:
        raise HilConfigError(f"{where}.size must not be 0")
    start = _int(value["start"], f"{where}.start")
    if start + size > ADDRESS_SPACE_END:
        raise HilConfigError(f"{where} = {{ start = {start:#x}, size = {size:#x} }} ends at {start + size:#x}, "
                             f"past the 32-bit address space (limit {ADDRESS_SPACE_END:#x}): fix start or size")
    return MemoryRegion(name, start, size, bool(value.get("nonvolatile", True)))


def _check_memory_map(flash: MemoryRegion | None, regions: tuple[MemoryRegion, ...], where: str) -> None:
    """Flash within its limit; flash regions inside flash, RAM regions outside it; no two regions overlap."""
    if flash is not None and flash.size > MAX_FLASH_SIZE:
        raise HilConfigError(
            f"{where}.flash size {flash.size:#x} ({flash.size / 2**20:.0f} MiB) is over the limit of "
            f"{MAX_FLASH_SIZE >> 20} MiB: describe the flash the firmware really uses"
        )
    for r in regions:
        span = f"{r.start:#x}-{r.end:#x}"
        if flash is not None and r.nonvolatile and not (flash.start <= r.start and r.end <= flash.end):
            raise HilConfigError(
                f"{where}.regions.{r.name} ({span}) lies outside the flash ({flash.start:#x}-{flash.end:#x}): "
                "move it inside, or mark RAM with nonvolatile = false"
            )
        if flash is not None and not r.nonvolatile and r.start < flash.end and flash.start < r.end:
            raise HilConfigError(f"{where}.regions.{r.name} ({span}) is RAM (nonvolatile = false) but overlaps "
                                 f"the flash ({flash.start:#x}-{flash.end:#x}): fix its start or size")
    ordered = sorted(regions, key=lambda r: r.start)
    for a, b in zip(ordered, ordered[1:]):
        if b.start < a.end:
            raise HilConfigError(f"{where}.regions: {a.name} ({a.start:#x}-{a.end:#x}) and {b.name} "
                                 f"({b.start:#x}-{b.end:#x}) overlap: fix their start or size")


def _description(name: str, table: Any, path: Path) -> TargetDescription:
    where = f"{path}: [targets.{name}]"
    if not isinstance(table, dict):
        raise HilConfigError(f"{where} must be a table")
    backend = table.get("backend")
    if not isinstance(backend, str) or not backend:
        raise HilConfigError(f'{where} has no `backend` key: add e.g. backend = "qemu"')
    firmware = table.get("firmware")
    if firmware is not None and not isinstance(firmware, str):
        raise HilConfigError(f"{where}.firmware must be a path string")
    flash = _region("flash", table["flash"], f"{where}.flash") if "flash" in table else None
    regions_table = table.get("regions", {})
    if not isinstance(regions_table, dict):
        raise HilConfigError(f"{where}.regions must be a table of {{ start, size }} tables")
    regions = tuple(_region(rname, rval, f"{where}.regions.{rname}") for rname, rval in regions_table.items())
    _check_memory_map(flash, regions, where)
    erased = _int(table.get("erased_byte", 0xFF), f"{where}.erased_byte")
    if erased > 0xFF:
        raise HilConfigError(f"{where}.erased_byte must be a byte value (0x00 or 0xFF)")
    device = table.get("device")
    if device is not None and (not isinstance(device, str) or not device):
        raise HilConfigError(f'{where}.device must name a device profile (e.g. device = "myfirmware"), not {device!r}')
    update = table.get("update")
    if update is not None and update not in UPDATE_CLIENTS:
        raise HilConfigError(f"{where}.update = {update!r}: choose one of {', '.join(UPDATE_CLIENTS)} "
                             "(or leave it out: the device profile's client is used)")
    tags = table.get("tags", {})
    if not isinstance(tags, dict) or not all(isinstance(v, (str, int)) and not isinstance(v, bool)
                                             for v in tags.values()):
        raise HilConfigError(f'{where}.tags must be a table of names to strings, e.g. tags = {{ family = "nucleo", '
                             f'rev = "C" }}, not {tags!r}')
    power = table.get("power")
    if power is not None and not isinstance(power, dict):
        raise HilConfigError(f'{where}.power must be a table like {{ driver = "command", on = "...", off = "..." }}')
    return TargetDescription(
        name=name,
        backend=backend,
        firmware=(path.parent / firmware) if firmware else None,
        flash=flash,
        regions=regions,
        load_address=_address(table.get("load_address", flash.start if flash else 0), f"{where}.load_address"),
        erased_byte=erased,
        options={k: v for k, v in table.items() if k not in COMMON_KEYS},
        source=str(path),
        device=device,
        power=power,
        update=update,
        tags={str(k): str(v) for k, v in tags.items()},
    )


class Inventory:
    """All known targets: the built-in ones plus those of the inventory file."""

    def __init__(self, targets: dict[str, TargetDescription], default: str, path: Path | None) -> None:
        self.targets = targets
        self.default = default
        self.path = path

    @classmethod
    def load(cls, path: Path | None, builtin: Iterable[TargetDescription] = ()) -> "Inventory":
        """The targets of ``path`` (a TOML file, or ``None``) on top of the ``builtin`` ones."""
        targets = {d.name: d for d in builtin}
        default = DEFAULT_TARGET if DEFAULT_TARGET in targets else next(iter(targets), "")
        if path is None:
            return cls(targets, default, None)
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise HilConfigError(f"inventory file {path} does not exist: fix --hil-config / hil_config") from None
        except tomllib.TOMLDecodeError as exc:
            raise HilConfigError(f"inventory file {path} is not valid TOML: {exc}") from None
        except UnicodeDecodeError as exc:
            raise HilConfigError(
                f"inventory file {path} is not valid UTF-8 (byte {exc.start}): save it as UTF-8"
            ) from None
        except OSError as exc:
            raise HilConfigError(f"cannot read inventory file {path}: {exc.strerror}") from None
        unknown = set(data) - {"targets", "default_target"}
        if unknown:
            raise HilConfigError(
                f"{path}: unknown top-level key(s) {', '.join(sorted(unknown))}: "
                "only `default_target` and `[targets.NAME]` tables are allowed"
            )
        table = data.get("targets", {})
        if not isinstance(table, dict):
            raise HilConfigError(f"{path}: `targets` must be a table of [targets.NAME] tables")
        for name, entry in table.items():
            targets[name] = _description(name, entry, path)
        if table:
            default = next(iter(table))
        if "default_target" in data:
            default = data["default_target"]
            if not isinstance(default, str):
                raise HilConfigError(f'{path}: default_target must be a target name (a string), not {default!r}')
            if default not in targets:
                raise HilConfigError(
                    f"{path}: default_target = {default!r} names no target (known: {', '.join(sorted(targets))})"
                )
        return cls(targets, default, path)

    def matching(self, names: list[str], tags: dict[str, str]) -> list[TargetDescription]:
        """The boards ``--hil-board`` selects: the named ones (or all), those with every tag given."""
        for name in names:
            if name not in self.targets:
                where = f" in {self.path}" if self.path else ""
                raise HilConfigError(f"--hil-board {name!r}: no such board{where} (known: "
                                     f"{', '.join(sorted(self.targets))})")
        pool = [self.targets[n] for n in names] if names else list(self.targets.values())
        found = [d for d in pool if all(d.tags.get(k) == v for k, v in tags.items())]
        if not found:
            wanted = " and ".join([*(repr(n) for n in names), *(f"{k}={v}" for k, v in tags.items())])
            known = "; ".join(f"{d.name} ({', '.join(f'{k}={v}' for k, v in d.tags.items()) or 'no tags'})"
                              for d in self.targets.values())
            raise HilConfigError(f"--hil-board: no board matches {wanted}: the inventory has {known}")
        return found

    def get(self, name: str | None) -> TargetDescription:
        name = name or self.default
        if not self.targets:
            raise HilConfigError(
                "no targets: no installed device profile provides a built-in one and no inventory was given; "
                "write a hil.toml with a [targets.NAME] table (or pass --hil-config)"
            )
        try:
            return self.targets[name]
        except KeyError:
            where = f" in {self.path}" if self.path else ""
            raise HilConfigError(
                f"unknown target {name!r}{where}: choose one of {', '.join(sorted(self.targets))} "
                "with --hil-target, or add [targets." + name + "] to the inventory"
            ) from None
