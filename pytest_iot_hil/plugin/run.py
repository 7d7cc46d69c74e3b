"""Per-run state: the resolved options, the chosen target and its firmware.

Lives in ``config.stash[RUN_KEY]`` (never in module globals), so two pytest
runs in one process (pytester) do not see each other.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from pathlib import Path

import pytest

from ..errors import BackendNotInstalled, HilConfigError
from ..firmware import FirmwareImage
from ..inventory import Inventory
from ..leases import Lease, LeaseDir, parse_board_specs
from ..power.plugin import check_power_table
from ..protocols.target import Target, TargetDescription
from .options import HilOptions
from .parts import PartsMaker

RUN_KEY = pytest.StashKey["HilRun"]()
_RUN_ID_KEY = pytest.StashKey[str]()


@dataclasses.dataclass
class HilRun:
    config: pytest.Config
    options: HilOptions
    inventory: Inventory
    description: TargetDescription
    firmware: FirmwareImage | None
    #: The board this process holds (``--hil-board``), and why hil tests skip when none was free.
    lease: Lease | None = None
    skip_reason: str | None = None

    @classmethod
    def from_config(cls, config: pytest.Config, options: HilOptions) -> "HilRun":
        inventory = Inventory.load(options.config_path, builtin_targets(config))
        if not options.boards:
            description = inventory.get(options.target)
            try:
                _check_target(config, description)
            except BackendNotInstalled as exc:
                run = cls._with_firmware(config, options, inventory, description)
                run.skip_reason = str(exc)
                return run
            return cls._with_firmware(config, options, inventory, description)
        candidates = inventory.matching(*parse_board_specs(options.boards))
        for board in candidates:
            _check_target(config, board)
        if _xdist_controller(config):
            # The controller runs no test: the workers lease, one board each.
            return cls._with_firmware(config, options, inventory, candidates[0])
        leases = LeaseDir(options.lease_dir)
        worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
        start = int(worker[2:]) if worker[2:].isdigit() else 0
        lease = leases.lease_one([b.name for b in candidates], timeout=options.lease_timeout, start=start)
        if lease is None:
            busy = "; ".join(f"{b.name} held by {h.describe()}" if (h := leases.holder(b.name)) else f"{b.name} free"
                             for b in candidates)
            run = cls._with_firmware(config, options, inventory, candidates[0])
            run.skip_reason = (f"no matching board was free within {options.lease_timeout:g} s ({busy}); "
                               f"see `pytest --hil-leases`")
            return run
        description = next(b for b in candidates if b.name == lease.board)
        run = cls._with_firmware(config, options, inventory, description)
        run.lease = lease
        return run

    @classmethod
    def _with_firmware(cls, config, options, inventory, description) -> "HilRun":
        firmware_path = options.firmware or description.firmware
        firmware = None
        if firmware_path is not None:
            firmware = FirmwareImage.load(firmware_path, load_address=description.load_address)
            firmware.check_fits(description.flash, [r for r in description.regions if not r.nonvolatile],
                                f"target {description.name!r} ({description.source})")
        return cls(config, options, inventory, description, firmware)

    def release(self) -> None:
        if self.lease is not None:
            self.lease.release()

    @property
    def parts(self) -> PartsMaker:
        """Targets, update clients, boot observers and power switches, through the hooks."""
        return PartsMaker(self.config.hook, self.config, log_dir=self.options.log_dir)

    def make_target(self, log_dir: Path | None = None) -> Target:
        return self.parts.target(self.description)

    def log_path_for(self, nodeid: str, suffix: str = ".log") -> Path:
        self.options.log_dir.mkdir(parents=True, exist_ok=True)
        return self.options.log_dir / log_file_name(nodeid, suffix)

    def properties(self) -> list[tuple[str, str]]:
        props = [
            ("hil_target", self.description.name),
            ("hil_backend", self.description.backend),
        ]
        if self.firmware is not None:
            props += [
                ("hil_firmware", str(self.firmware.path)),
                ("hil_firmware_sha256", self.firmware.sha256),
            ]
        return props


def builtin_targets(config: pytest.Config) -> list[TargetDescription]:
    """The targets the installed device profiles bring (``pytest_hil_builtin_targets``)."""
    return [d for ds in config.hook.pytest_hil_builtin_targets(config=config) for d in ds]


def _xdist_controller(config: pytest.Config) -> bool:
    """True in pytest-xdist's controlling process (``-n N``), which hands tests to workers."""
    if hasattr(config, "workerinput"):
        return False
    return bool(getattr(config.option, "numprocesses", None)) and getattr(config.option, "dist", "no") != "no"


def _check_target(config: pytest.Config, description: TargetDescription) -> None:
    handled = config.hook.pytest_hil_validate_target(config=config, description=description)
    if not handled:
        known = sorted({n for names in config.hook.pytest_hil_backend_names(config=config) for n in names})
        raise HilConfigError(
            f"{description.source}: target {description.name!r} uses backend {description.backend!r}, "
            f"which no installed plugin provides (available: {', '.join(known) or 'none'})"
        )
    _check_device(config, description)
    check_power_table(description)


def _check_device(config: pytest.Config, description: TargetDescription) -> None:
    """A ``device`` no installed profile provides stops the run before any test."""
    if description.device is None:
        return
    names = sorted({n for ns in config.hook.pytest_hil_device_names(config=config) for n in ns})
    if description.device not in names:
        raise HilConfigError(
            f"{description.source}: target {description.name!r} names device profile {description.device!r}, "
            f"which no installed plugin provides (installed: {', '.join(names) or 'none'}): fix `device` or "
            "install the profile's package"
        )


def log_file_name(nodeid: str, suffix: str = ".log") -> str:
    """The per-test log file name: readable, and unique per test id."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:120]
    # Different ids can sanitize alike (test[a b], test[a/b]): a short digest
    # of the real id keeps every test's log its own.
    return f"{name}-{hashlib.sha1(nodeid.encode()).hexdigest()[:8]}{suffix}"


def get_run(config: pytest.Config) -> HilRun | None:
    return config.stash.get(RUN_KEY, None)


def run_id(config: pytest.Config) -> str:
    """Identifies this pytest run; xdist workers share their controller's (``testrunuid``).

    Engines that record something once per run and share it with every
    worker (a campaign's trace failure, an on-target test image's run) key
    it with this.
    """
    value = config.stash.get(_RUN_ID_KEY, None)
    if value is None:
        workerinput = getattr(config, "workerinput", None) or {}
        import uuid

        value = config.stash[_RUN_ID_KEY] = workerinput.get("testrunuid") or uuid.uuid4().hex
    return value
