"""Making a target's parts through the hooks, with one clear error when nobody provides one.

Used by the fixtures, the campaign and scripts (:mod:`.standalone`): a
backend's target, and the device profile's update client and boot observer,
and the power switch.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import HilConfigError

if TYPE_CHECKING:  # pragma: no cover
    from ..console import Console
    from ..protocols.boot import BootObserver
    from ..protocols.health import DeviceAgent
    from ..protocols.power import PowerSwitch
    from ..protocols.target import Target, TargetDescription
    from ..protocols.update import UpdateClient


def _profile_hint(hook: Any, config: Any, description: "TargetDescription") -> str:
    names = sorted({n for ns in hook.pytest_hil_device_names(config=config) for n in ns})
    installed = ", ".join(names) or "none"
    if description.device is None:
        return (f"target {description.name!r} names no device profile: add `device = \"<profile>\"` to "
                f"[targets.{description.name}] in {description.source} (installed profiles: {installed})")
    return (f"device profile {description.device!r} of target {description.name!r} provides none "
            f"(installed profiles: {installed})")


class PartsMaker:
    """Calls the ``pytest_hil_make_*`` hooks for one run (``config`` may be ``None`` outside pytest)."""

    def __init__(self, hook: Any, config: Any, *, log_dir: Path | None = None) -> None:
        self.hook = hook
        self.config = config
        self.log_dir = log_dir

    def target(self, description: "TargetDescription") -> "Target":
        target = self.hook.pytest_hil_make_target(config=self.config, description=description,
                                                  log_dir=self.log_dir or Path.cwd() / "hil-logs")
        if target is None:
            raise HilConfigError(f"no plugin created a target for backend {description.backend!r}")
        return target

    def update_client(self, target: "Target", console: "Console") -> "UpdateClient":
        client = self.hook.pytest_hil_make_update_client(config=self.config, target=target, console=console)
        if client is None:
            raise HilConfigError(f"no update client: {_profile_hint(self.hook, self.config, target.description)}, "
                                 "or implement the pytest_hil_make_update_client hook")
        return client

    def boot_observer(self, target: "Target", console: "Console") -> "BootObserver | None":
        return self.hook.pytest_hil_make_boot_observer(config=self.config, target=target, console=console)

    def require_boot_observer(self, target: "Target", console: "Console") -> "BootObserver":
        observer = getattr(console, "boot_observer", None) or self.boot_observer(target, console)
        if observer is None:
            raise HilConfigError(f"no boot observer: {_profile_hint(self.hook, self.config, target.description)}, "
                                 "or implement the pytest_hil_make_boot_observer hook")
        return observer

    def device_agent(self, target: "Target", console: "Console") -> "DeviceAgent":
        agent = self.hook.pytest_hil_make_device_agent(config=self.config, target=target, console=console)
        if agent is None:
            raise HilConfigError(f"no device agent (health telemetry) for a fleet: "
                                 f"{_profile_hint(self.hook, self.config, target.description)}, "
                                 "or implement the pytest_hil_make_device_agent hook")
        return agent

    def power(self, target: "Target") -> "PowerSwitch":
        switch = self.hook.pytest_hil_make_power(config=self.config, target=target)
        if switch is None:
            raise HilConfigError(f"no plugin provided a power switch for target {target.name!r}")
        return switch

    def console(self, target: "Target", **kwargs: Any) -> "Console":
        """The target's console, with the device profile's boot observer attached."""
        from ..console import console_for

        con = console_for(target, **kwargs)
        con.boot_observer = self.boot_observer(target, con)
        return con

    def device_opener(self, description: "TargetDescription", firmware, *, log_path: Path | None = None,
                      timeout: float = 10.0):
        """A callable opening a started campaign device (target, console, client, observer)."""
        from ..campaign.runner import open_device

        return lambda: open_device(
            description, firmware, make_target=self.target, make_ota=self.update_client,
            make_boot=self.require_boot_observer, log_path=log_path, timeout=timeout,
        )
