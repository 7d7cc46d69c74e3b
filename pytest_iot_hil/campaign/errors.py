"""Errors of the power-cut campaign, each with a message a user can act on."""

from __future__ import annotations

from ..errors import HilConfigError, HilError


class CampaignError(HilError):
    """The campaign itself could not run (the trace failed, the cache is unreadable, ...)."""


class TraceError(CampaignError):
    """Recording the update's flash writes failed or gave an inconsistent trace."""


class CampaignConfigError(HilConfigError):
    """A campaign option or marker argument is wrong (bad ``cuts=`` string, unknown region, ...)."""


class CampaignViolation(AssertionError):
    """A cut state broke one or more invariants; the message says how to reproduce it."""
