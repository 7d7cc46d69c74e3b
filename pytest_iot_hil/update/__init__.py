"""Update clients: how a test sends a firmware image to a target.

:class:`UpdateClient` (``protocols/update.py``) is the documented base class
for a team's own update protocol; a device profile returns its client from
the ``pytest_hil_make_update_client`` hook (the demo firmware's framed UART
protocol is in ``devices/demo/client.py``).
"""

from ..protocols.update import Progress, ProgressCallback, TransferResult, UpdateClient, UpdateError, image_bytes

__all__ = ["Progress", "ProgressCallback", "TransferResult", "UpdateClient", "UpdateError", "image_bytes"]
