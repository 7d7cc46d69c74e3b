"""What a campaign test receives as ``power_cut``: one cut, ready to boot and judge."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from ..plugin.reporting import TRANSCRIPTS_KEY
from ..plugin.run import HilRun
from .load import LoadedCampaign
from .errors import CampaignViolation
from .options import CampaignOptions, option
from .report import cut_properties
from .runner import CampaignRunner, CutResult
from .states import CutState


class PowerCut:
    """One cut of a campaign, as a test sees it: ``check()`` boots it and judges it."""

    def __init__(self, item: pytest.Item, loaded: LoadedCampaign, state: CutState, options: CampaignOptions,
                 runner: CampaignRunner, run: HilRun, timeline: Path | None) -> None:
        self.item = item
        self.campaign = loaded
        self.cut = state
        self.options = options
        self._runner = runner
        self._run = run
        self.result: CutResult | None = None
        first = loaded.first_cut_of(state)
        self._props = dict(cut=state.id, op=state.op, first_op=first.op, kind=state.kind, variant=state.variant,
                           region=state.region, depth=state.depth, parent=state.parent or "",
                           aliases=",".join(state.aliases)[:300],
                           timeline=timeline or "")

    @property
    def image(self) -> bytes:
        """The flash image of this cut."""
        return self.campaign.image(self.cut)

    def run(self) -> CutResult:
        """Boot the cut state and judge it (once per test)."""
        if self.result is None:
            self.result = self._runner.run(self.campaign, self.cut)
            if self.options.export is not None:
                self.export(self.options.export)
            props = dict(self._props, seconds=f"{self.result.seconds:.4f}",
                         violations=",".join(self.result.invariants),
                         detail="; ".join(str(v.message) for v in self.result.violations)[:400] or (self.result.error or ""))
            self.item.user_properties.extend(cut_properties(**props))
            # The cut's console output goes to the report (JUnit <system-out>), like any hil test's.
            console = self._runner.device.console
            self.item.stash.setdefault(TRANSCRIPTS_KEY, []).append(
                (console.name, self.result.transcript.encode(), console.log_path or Path("-")))
        return self.result

    def export(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{self.cut.id}.bin"
        path.write_bytes(self.image)
        return path

    def reproduce_command(self) -> str:
        config = self.item.config
        base = self.item.nodeid.split("[", 1)[0]
        # -k matches substrings, and torn states and second cuts extend their
        # cut's id with "-...": exclude those so exactly this cut runs.
        extended = any(s.id.startswith(self.cut.id + "-")
                       for s in self.campaign.states(self.options.cuts, self.options.depth))
        expr = f"{self.cut.id} and not {self.cut.id}-" if extended else self.cut.id
        args = ["pytest", base, "-k", expr, "--hil"]
        for opt, flag in (("hil_target", "--hil-target"), ("hil_config", "--hil-config"),
                          ("hil_firmware", "--hil-firmware")):
            value = option(config, opt)
            if value:
                args += [flag, str(value)]
        args += ["--hil-campaign-cuts", str(self.options.cuts)]
        if self.cut.depth > 1:
            args += ["--hil-campaign-depth", "2"]  # second cuts exist only at depth 2
        return " ".join(shlex.quote(a) for a in args)

    def describe(self) -> str:
        space = self.campaign.space_of(self.cut)
        where = "the end of the procedure" if self.cut.kind == "end" else (
            f"op {self.cut.op} of {len(space.ops)} ({self.cut.kind} in {self.cut.region}"
            + (f", {self.cut.variant}" if self.cut.variant else "") + ")")
        text = f"power cut before {where}" if not self.cut.variant else f"power cut inside {where}"
        if self.cut.parent:
            text += f", during the recovery boot after {self.cut.parent}"
        if self.cut.aliases:
            shown = ", ".join(self.cut.aliases[:3]) + (" ..." if len(self.cut.aliases) > 3 else "")
            text += f"; same flash state as {shown}"
        return text

    def check(self) -> CutResult:
        """Boot the cut and fail the test with every broken invariant."""
        __tracebackhide__ = True  # the failure is the firmware's, not this plugin's code
        result = self.run()
        if result.ok:
            return result
        saved = self.export(self._run.options.log_dir / "campaign" / self.campaign.campaign.label)
        lines = [f"{self.cut.id}: {self.describe()}"]
        if result.error:
            lines.append(f"the campaign could not judge this cut: {result.error}")
        for v in result.violations:
            lines.append(f"  {v.invariant}: {v.message}")
        lines += [
            f"flash image of the cut: {saved}",
            f"reproduce (from {self.item.config.rootpath}): {self.reproduce_command()}",
            "console after the cut (first lines):",
            *("  " + line for line in result.transcript.strip().splitlines()[:10]),
        ]
        raise CampaignViolation("\n".join(lines))
