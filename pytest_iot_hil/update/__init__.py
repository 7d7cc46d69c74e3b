"""Update clients: how a test sends a firmware image to a target.

:class:`UpdateClient` (``protocols/update.py``) is the documented base class
for a team's own update protocol; a device profile returns its client from
the ``pytest_hil_make_update_client`` hook. ``update/smp/`` is the client of
any MCUmgr (SMP) device (inventory ``update = "smp"``); the demo profile's
client, ``devices/demo/client.py``, builds on it.
"""

from ..protocols.update import Progress, ProgressCallback, TransferResult, UpdateClient, UpdateError, image_bytes

__all__ = ["Progress", "ProgressCallback", "TransferResult", "UpdateClient", "UpdateError", "image_bytes"]
