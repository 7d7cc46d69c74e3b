"""The plugin's hooks outside a pytest run: for scripts, benchmarks and standalone campaigns.

:func:`hil_hook` loads the installed ``pytest11`` plugins that implement any
``pytest_hil_*`` hook (the QEMU backend, the demo profile, a team's own
packages) into a pluggy manager with our hookspecs, so a script finds
targets, update clients and boot observers exactly as a pytest run does.
Implementations are called with ``config=None``.
"""

from __future__ import annotations

import functools
import importlib
from importlib import metadata
from pathlib import Path
from types import ModuleType
from typing import Any, Iterable

import pluggy

from . import hookspecs
from .parts import PartsMaker

_PREFIX = "pytest_hil_"


class _HilPluginManager(pluggy.PluginManager):
    """Takes only the ``pytest_hil_*`` functions of a plugin (marked or not, as pytest does)."""

    def parse_hookimpl_opts(self, plugin: Any, name: str):
        if not name.startswith(_PREFIX):
            return None
        opts = super().parse_hookimpl_opts(plugin, name)
        return opts if opts is not None else {}


def _plugin_modules() -> Iterable[ModuleType]:
    for ep in metadata.entry_points(group="pytest11"):
        try:
            module = ep.load()
        except Exception:  # a broken third-party plugin is pytest's business, not ours
            continue
        if isinstance(module, ModuleType) and any(n.startswith(_PREFIX) for n in dir(module)):
            yield module


@functools.lru_cache(maxsize=None)
def hil_hook(*extra_modules: str) -> Any:
    """The ``pytest_hil_*`` hooks of every installed plugin (plus ``extra_modules``, imported by name)."""
    pm = _HilPluginManager("pytest")
    pm.add_hookspecs(hookspecs)
    for module in list(_plugin_modules()) + [importlib.import_module(m) for m in extra_modules]:
        if not pm.is_registered(module):
            pm.register(module)
    return pm.hook


def parts(*extra_modules: str, log_dir: Path | None = None) -> PartsMaker:
    """Targets, clients and observers made through the installed plugins' hooks (see :class:`PartsMaker`)."""
    return PartsMaker(hil_hook(*extra_modules), None, log_dir=log_dir)


def builtin_target(name: str | None = None):
    """A built-in target description by name (default: the default target of a run without inventory)."""
    from ..inventory import Inventory

    hook = hil_hook()
    return Inventory.load(None, [d for ds in hook.pytest_hil_builtin_targets(config=None) for d in ds]).get(name)
