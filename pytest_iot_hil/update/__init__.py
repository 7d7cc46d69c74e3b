"""Update clients: how a test sends a firmware image to a target.

:class:`UpdateClient` is the documented base class for a team's own update
protocol; :class:`DemoUpdateClient` speaks the demo firmware's framed UART
protocol (``firmware_fixtures/PROTOCOL.md``).
"""

from .client import Progress, TransferResult, UpdateClient, UpdateError
from .demo_protocol import DemoUpdateClient

__all__ = ["DemoUpdateClient", "Progress", "TransferResult", "UpdateClient", "UpdateError"]
