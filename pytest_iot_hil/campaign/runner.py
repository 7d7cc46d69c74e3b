"""Boot cut states, one after another, in one reused emulator.

Each cut costs one in-place power-on (``boot_flash_state``: flash written,
RAM cleared, machine reset; ~20 ms on QEMU mps2-an385) plus whatever the
oracle observes. A new emulator per cut would cost a process start each time,
and re-running the update up to each cut would cost the update itself.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from pathlib import Path
from typing import Callable, Hashable, Iterator

from ..console import Console, console_for
from ..errors import HilError
from ..firmware import FirmwareImage
from ..protocols.boot import BootObserver
from ..protocols.target import Target, TargetDescription
from ..protocols.update import UpdateClient
from .errors import CampaignConfigError
from .load import LoadedCampaign
from .options import RETRY_POLICIES
from .oracle import CutContext, Violation, invariant_order
from .states import CutState
from .trace import Device, boot_state, require_campaign_target


@dataclasses.dataclass
class CutResult:
    """What happened at one cut."""

    cut: str
    violations: list[Violation]
    seconds: float
    transcript: str
    notes: list[str] = dataclasses.field(default_factory=list)
    #: The campaign machinery itself failed at this cut (not a verdict on the firmware).
    error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.violations and self.error is None

    @property
    def invariants(self) -> list[str]:
        return sorted({v.invariant for v in self.violations}, key=invariant_order)


@contextlib.contextmanager
def open_device(
    description: TargetDescription,
    firmware: FirmwareImage | None,
    *,
    make_target: Callable[[TargetDescription], Target],
    make_ota: Callable[[Target, Console], UpdateClient],
    make_boot: Callable[[Target, Console], BootObserver],
    log_path: Path | None = None,
    timeout: float = 10.0,
) -> Iterator[Device]:
    """A started target with its console, update client and boot observer; everything is closed on exit.

    The factories are what the plugin's hooks provide (a backend's target,
    the device profile's client and observer); see
    :func:`pytest_iot_hil.campaign.standalone.hook_device_opener` outside pytest.
    """
    target = make_target(description)
    console: Console | None = None
    ota: UpdateClient | None = None
    try:
        require_campaign_target(target)
        target.start(firmware)
        console = console_for(target, timeout=timeout, log_path=log_path)
        boot = make_boot(target, console)
        console.boot_observer = boot
        ota = make_ota(target, console)
        yield Device(target, console, ota, boot)
    finally:
        if ota is not None and getattr(ota, "close", None) is not None:
            ota.close()
        if console is not None:
            console.close()
        target.close()


class CampaignRunner:
    """Runs cuts on one device. ``retry`` chooses where I10 re-runs the update.

    ``classes`` (default): the first cut of every class of outcome the oracle
    names, per process; ``all``: every cut; ``none``: never.
    """

    def __init__(self, device: Device, *, retry: str = "classes") -> None:
        if retry not in RETRY_POLICIES:
            raise CampaignConfigError(f"retry = {retry!r}: choose one of {', '.join(RETRY_POLICIES)}")
        require_campaign_target(device.target)
        self.device = device
        self.retry = retry
        self._seen: set[tuple[str, Hashable]] = set()

    def _policy(self, key: str) -> Callable[[Hashable], bool]:
        def wants(outcome: Hashable) -> bool:
            if self.retry == "all":
                return True
            if self.retry == "none" or (key, outcome) in self._seen:
                return False
            self._seen.add((key, outcome))
            return True

        return wants

    def run(self, loaded: LoadedCampaign, state: CutState) -> CutResult:
        """Power the device on from ``state`` and let the campaign's oracle judge it."""
        loaded.prepare_oracle()
        device = self.device
        oracle = loaded.oracle
        image = loaded.image(state)

        def retry(dev: Device) -> None:
            boot_state(dev, image, oracle.wait_booted)
            loaded.campaign.retry(dev)

        ctx = CutContext(state, image, loaded, loaded.marks_before(state), retry=retry,
                         retry_policy=self._policy(loaded.key))
        mark = device.console.mark
        started = time.monotonic()
        try:
            mark = boot_state(device, image)  # the oracle observes the boot itself
            violations = oracle.check(device, ctx)
            error = None
        except HilError as exc:
            violations, error = [], f"{type(exc).__name__}: {exc}"
        seconds = time.monotonic() - started
        transcript = device.console.transcript_since(mark).decode("utf-8", errors="replace")
        return CutResult(state.id, violations, seconds, transcript, ctx.notes, error)
