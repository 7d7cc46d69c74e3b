"""Registers the SMP client for ``update = "smp"`` targets (``pytest11`` entry point ``iot_hil_smp``).

Any MCUmgr device (Zephyr, nRF Connect SDK, MCUboot serial recovery) whose
console carries SMP over console is updated by :class:`~.client.SmpUpdateClient`;
without a device profile of its own, its boots are read through SMP
(:class:`~.client.SmpBootObserver`: the image list). A profile that also
speaks SMP returns its own (subclassed) client from the same hook, earlier.

Its hooks are ``optionalhook``: with the core plugin disabled they are never called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from ...console import Console
    from ...protocols.target import Target

UPDATE = "smp"
#: One client per console: the observer and the ``ota`` fixture share its event loop and framing.
_CLIENTS = pytest.StashKey[dict]()


def _client(config, target: "Target", console: "Console"):
    from .client import SmpUpdateClient

    if config is None:
        return SmpUpdateClient(console)
    clients = config.stash.setdefault(_CLIENTS, {})
    client = clients.get(id(console))
    if client is None or client.console is not console:
        client = clients[id(console)] = SmpUpdateClient(console)
    return client


@pytest.hookimpl(trylast=True, optionalhook=True)
def pytest_hil_make_update_client(config: pytest.Config, target: "Target", console: "Console"):
    if target.description.update != UPDATE:
        return None
    return _client(config, target, console)


@pytest.hookimpl(trylast=True, optionalhook=True)
def pytest_hil_make_boot_observer(config: pytest.Config, target: "Target", console: "Console"):
    if target.description.update != UPDATE or target.description.device is not None:
        return None
    from .client import SmpBootObserver

    return SmpBootObserver(_client(config, target, console))
