"""The campaign's command-line options and ini twins, and how they combine with the marker."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from .cuts import DEFAULT_CUTS, Selection, parse_selection
from .errors import CampaignConfigError

#: Where I10 re-runs the update (``CampaignRunner(retry=...)``).
RETRY_POLICIES = ("classes", "all", "none")


def addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("hil")
    group.addoption("--hil-campaign-cuts", metavar="SELECTION", default=None,
                    help="power-cut campaigns: which cuts become tests: all, boundaries (default) or "
                    "sample:N[:SEED]; overrides the marker's cuts= (ini: hil_campaign_cuts)")
    group.addoption("--hil-campaign-depth", metavar="1|2", type=int, choices=(1, 2), default=None,
                    help="2 adds second cuts during the recovery boot of boundary cuts whose boot writes "
                    "flash (ini: hil_campaign_depth)")
    group.addoption("--hil-campaign-export", metavar="DIR", default=None,
                    help="write the flash image of every cut run to DIR/<cut id>.bin (use with -k); "
                    "failing cuts are always saved under the log dir (ini: hil_campaign_export)")
    group.addoption("--hil-campaign-retry", metavar="POLICY", choices=RETRY_POLICIES, default=None,
                    help="where I10 re-runs the update after the cut: classes (first cut of each outcome "
                    "class per process, default), all, none (ini: hil_campaign_retry)")
    parser.addini("hil_campaign_cuts", "default cut selection (same as --hil-campaign-cuts)", default="")
    parser.addini("hil_campaign_depth", "default cut depth, 1 or 2 (same as --hil-campaign-depth)", default="")
    parser.addini("hil_campaign_export", "flash image export directory (same as --hil-campaign-export)", default="")
    parser.addini("hil_campaign_retry", "I10 retry policy (same as --hil-campaign-retry)", default="classes")


def option(config: pytest.Config, name: str):
    # getoption with a default: this plugin may be registered after the
    # command line was parsed (from a conftest), then only ini values count.
    return config.getoption(name, default=None)


@dataclasses.dataclass(frozen=True)
class CampaignOptions:
    cuts: Selection
    depth: int
    export: Path | None
    retry: str


def resolve_options(config: pytest.Config, marker_cuts: object = None, marker_depth: object = None) -> CampaignOptions:
    """Command line, then the marker, then ini, then the defaults."""
    cuts = parse_selection(option(config, "hil_campaign_cuts") or marker_cuts or config.getini("hil_campaign_cuts") or DEFAULT_CUTS)
    depth_value = option(config, "hil_campaign_depth") or marker_depth or config.getini("hil_campaign_depth") or 1
    try:
        depth = int(depth_value)
    except (TypeError, ValueError):
        depth = 0
    if depth not in (1, 2):
        raise CampaignConfigError(f"campaign depth {depth_value!r} must be 1 or 2")
    export = option(config, "hil_campaign_export") or config.getini("hil_campaign_export") or None
    retry = option(config, "hil_campaign_retry") or config.getini("hil_campaign_retry") or "classes"
    if retry not in RETRY_POLICIES:
        raise CampaignConfigError(f"hil_campaign_retry = {retry!r}: choose one of {', '.join(RETRY_POLICIES)}")
    return CampaignOptions(cuts, depth, Path(export).absolute() if export else None, retry)
