"""Staged-rollout rehearsals on a fleet of emulated devices.

* :class:`Fleet` (the ``fleet`` fixture): N devices of one target, with tags and field conditions;
* :class:`RolloutPlan`, :class:`Stage`, :class:`Trigger`: the rollout as data;
* :class:`FieldConditions`: lossy links, power cuts, offline devices, low batteries, from a seed;
* :func:`assert_rollout_completed`, :func:`assert_paused_at` on a :class:`RolloutResult`.

The engine uses only protocols: the backend's targets, the device profile's
update client, boot observer and health agent (``pytest_hil_make_device_agent``).
"""

from .conditions import DeviceConditions, FieldConditions, LossyPort
from .fleet import Fleet
from .plan import RolloutPlan, Stage, Trigger
from .result import RolloutResult, assert_paused_at, assert_rollout_completed

__all__ = ["DeviceConditions", "FieldConditions", "Fleet", "LossyPort", "RolloutPlan", "RolloutResult", "Stage",
           "Trigger", "assert_paused_at", "assert_rollout_completed"]
