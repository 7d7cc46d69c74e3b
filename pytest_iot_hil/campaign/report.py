"""The campaign's report: a terminal summary and a timeline picture in a small HTML page.

Outcomes are collected from test reports (``pytest_runtest_logreport``), so
under xdist they arrive on the controller with each report's
``user_properties``; nothing is shared between processes but those reports
and the timeline file the trace cache wrote.

The picture has one column per cut, in the order the update reached it (op
index, then torn states inside that op), and one band per region (slot_b,
journal, ...): a cut is drawn in the band of the region its interrupted
operation writes (the end of the procedure in every band). Below each cut, a
thin strip holds the worst outcome of its second cuts. Colours: green
passed, red an invariant broke, purple the campaign itself failed. Marks
are ticks above and between the bands; the HTML page labels regions, marks
and op indices, and names the failing cut under the mouse.
"""

from __future__ import annotations

import dataclasses
import html
import json
import math
from collections import Counter
from pathlib import Path
from typing import Iterable

from .oracle import invariant_order
from .png import Canvas

PREFIX = "hil_campaign_"
PASSED, FAILED, ERROR, SKIPPED = "passed", "failed", "error", "skipped"
_BADNESS = {None: 0, SKIPPED: 1, PASSED: 2, FAILED: 3, ERROR: 4}
COLOURS = {
    PASSED: (46, 160, 67),
    FAILED: (214, 39, 40),
    ERROR: (148, 103, 189),
    SKIPPED: (189, 189, 189),
    None: (232, 232, 232),  # a state that was not run
}
MARK_COLOUR = (31, 119, 180)
MAX_WIDTH = 1600
STRIPS = (("cut", 22), ("2nd", 10))
GAP = 6
TOP = 10


@dataclasses.dataclass
class CutOutcome:
    test: str
    cut: str
    op: int
    first_op: int
    kind: str
    variant: str
    region: str
    depth: int
    outcome: str
    invariants: list[str]
    detail: str
    seconds: float
    timeline: str | None
    parent: str = ""


def cut_properties(**values: object) -> list[tuple[str, str]]:
    """``user_properties`` entries for one cut (what travels to the controller)."""
    return [(PREFIX + k, str(v)) for k, v in values.items()]


class Outcomes:
    """Per-cut outcomes of every campaign test of the run, by test (node id without the cut)."""

    def __init__(self) -> None:
        self.by_test: dict[str, dict[str, CutOutcome]] = {}
        self.files: list[Path] = []

    def add_report(self, report) -> None:
        props = {k[len(PREFIX):]: v for k, v in report.user_properties if k.startswith(PREFIX)}
        if "cut" not in props:
            return
        if report.when == "call":
            outcome = report.outcome
            if outcome == FAILED and not props.get("violations"):
                outcome = ERROR
        elif report.outcome != PASSED:
            outcome = ERROR if report.outcome == FAILED else SKIPPED
        else:
            return
        test = report.nodeid.split("[", 1)[0]
        invariants = sorted({i for i in props.get("violations", "").split(",") if i}, key=invariant_order)
        detail = props.get("detail", "")
        if outcome == ERROR and not detail:
            text = (getattr(report, "longreprtext", "") or "").strip().splitlines()
            detail = text[-1] if text else ""
        self.by_test.setdefault(test, {})[props["cut"]] = CutOutcome(
            test=test, cut=props["cut"], op=int(props.get("op", 0)), first_op=int(props.get("first_op", 0)),
            kind=props.get("kind", ""), variant=props.get("variant", ""), region=props.get("region", ""),
            depth=int(props.get("depth", 1)), outcome=outcome, invariants=invariants, detail=detail[:400],
            seconds=float(props.get("seconds", 0) or 0), timeline=props.get("timeline"),
            parent=props.get("parent", ""),
        )

    # -- terminal ------------------------------------------------------------------
    def summary_lines(self, worst: int = 5) -> list[str]:
        lines: list[str] = []
        for test, cuts in self.by_test.items():
            outcomes = Counter(c.outcome for c in cuts.values())
            ran = [c for c in cuts.values() if c.outcome != SKIPPED]
            mean = sum(c.seconds for c in ran) / len(ran) * 1000 if ran else 0.0
            depth2 = sum(1 for c in ran if c.depth > 1)
            lines.append(
                f"{test}: {len(ran)} cuts run ({depth2} second cuts), {outcomes[PASSED]} passed, "
                f"{outcomes[FAILED]} with violations, {outcomes[ERROR]} errors, mean {mean:.0f} ms per cut"
            )
            per_inv = Counter(i for c in cuts.values() for i in c.invariants)
            if per_inv:
                text = ", ".join(f"{i} {n} cut{'s' if n > 1 else ''}" for i, n in sorted(per_inv.items(), key=_inv_order))
                lines.append(f"  violations per invariant: {text}")
                # Most invariants first; then first cuts (simpler to reproduce), in timeline order.
                bad = sorted((c for c in cuts.values() if c.invariants),
                             key=lambda c: (-len(c.invariants), c.depth, c.first_op, c.op))
                for c in bad[:worst]:
                    lines.append(f"  worst: {c.cut} ({', '.join(c.invariants)}): {c.detail[:160]}")
            for c in [c for c in cuts.values() if c.outcome == ERROR][:worst]:
                lines.append(f"  error: {c.cut}: {c.detail[:160]}")
        for path in self.files:
            lines.append(f"report: {path}")
        return lines

    # -- files -----------------------------------------------------------------------
    def write(self, directory: Path) -> list[Path]:
        """Write ``power-cut-report.html`` and one PNG per campaign test into ``directory``."""
        if not self.by_test:
            return []
        directory.mkdir(parents=True, exist_ok=True)
        sections = []
        written = []
        for n, (test, cuts) in enumerate(self.by_test.items()):
            timeline = _load_timeline(cuts.values())
            picture = None
            if timeline is not None:
                png = directory / f"power-cut-{n}.png"
                picture = render_timeline(timeline, cuts)
                picture.canvas.save(png)
                written.append(png)
            sections.append(_html_section(n, test, cuts, picture, timeline))
        page = directory / "power-cut-report.html"
        page.write_text(_HTML_HEAD + "".join(sections) + _legend() + "</body></html>\n", encoding="utf-8")
        written.insert(0, page)
        self.files = written[:1]
        return written


def _inv_order(item: tuple[str, int]) -> tuple[int, str]:
    return invariant_order(item[0])


def _load_timeline(cuts: Iterable[CutOutcome]) -> dict | None:
    for c in cuts:
        if c.timeline:
            try:
                return json.loads(Path(c.timeline).read_text())
            except (OSError, ValueError):
                return None
    return None


@dataclasses.dataclass
class Picture:
    canvas: Canvas
    regions: list[tuple[str, int]]  # (name, y of its band)
    cuts_per_column: int
    marks: list[tuple[str, int]]  # (name, x)
    ticks: list[tuple[str, int]]  # (label, x) along the timeline
    hot: list[tuple[int, int, int, int, str]]  # failing cells: x0, y0, x1, y1, title


_VARIANT_ORDER = {"": 0, "torn": 1, "torn-bits": 2, "torn-noise": 2}


def render_timeline(timeline: dict, cuts: dict[str, CutOutcome]) -> Picture:
    """One column per first cut in timeline order; one band per region; second cuts below their first cut."""
    ops = timeline["ops"]
    first = sorted((c for c in cuts.values() if c.depth == 1),
                   key=lambda c: (c.op, _VARIANT_ORDER.get(c.variant, 3), c.cut))
    seconds: dict[str, list[CutOutcome]] = {}
    for c in cuts.values():
        if c.depth > 1:
            seconds.setdefault(c.parent, []).append(c)
    present = {c.region for c in first if c.region} | {ops[c.first_op][1] for c in cuts.values()
                                                       if c.depth > 1 and c.first_op < len(ops)}
    regions = [r for r in timeline.get("regions", []) if r in present] + sorted(
        present - set(timeline.get("regions", [])))
    regions = regions or ["flash"]
    per_col = max(1, math.ceil(len(first) / MAX_WIDTH))
    ncols = max(1, math.ceil(len(first) / per_col))
    cw = max(1, min(10, MAX_WIDTH // ncols))
    band = sum(h for _, h in STRIPS) + GAP
    canvas = Canvas(ncols * cw, TOP + band * len(regions))
    cells: dict[tuple[int, int, int], str | None] = {}
    titles: dict[tuple[int, int, int], list[str]] = {}

    def put(region_index: int, strip: int, col: int, cut: CutOutcome | None, outcome: str | None) -> None:
        key = (region_index, strip, col)
        if key not in cells or _BADNESS[outcome] > _BADNESS[cells[key]]:
            cells[key] = outcome
        if cut is not None and outcome in (FAILED, ERROR):
            titles.setdefault(key, []).append(f"{cut.cut} {','.join(cut.invariants) or outcome}")

    for i, c in enumerate(first):
        col = i // per_col
        rows = range(len(regions)) if c.kind == "end" or c.region not in regions else [regions.index(c.region)]
        for r in rows:
            put(r, 0, col, c, c.outcome)
        for s in seconds.get(c.cut, []):
            for r in rows:
                put(r, 1, col, s, s.outcome)
    hot = []
    for (r, strip, col), outcome in cells.items():
        y = TOP + r * band + sum(h for _, h in STRIPS[:strip])
        h = STRIPS[strip][1] - 1
        canvas.fill(col * cw, y, cw, h, COLOURS[outcome])
        if (r, strip, col) in titles:
            hot.append((col * cw, y, col * cw + cw, y + h, "; ".join(titles[(r, strip, col)][:4])))
    marks = []
    for name, op in timeline["marks"]:
        # A mark sits before the first cut that happens after it.
        col = next((i // per_col for i, c in enumerate(first) if c.op >= op), ncols)
        x = min(col * cw, canvas.width - 1)
        canvas.fill(x, 0, 1, TOP - 2, MARK_COLOUR)
        for r in range(1, len(regions)):
            canvas.fill(x, TOP + r * band - GAP + 1, 1, GAP - 2, MARK_COLOUR)
        marks.append((name, x))
    ticks: list[tuple[str, int]] = []
    if first:
        step = max(1, len(first) // 8)
        for i in sorted({*range(0, len(first), step), len(first) - 1}):
            x = (i // per_col) * cw
            if ticks and x - ticks[-1][1] < 70:  # keep the labels apart
                if i != len(first) - 1:
                    continue
                ticks.pop()  # the last cut's label wins over its close neighbour
            ticks.append((f"op {first[i].op}", x))
    return Picture(canvas, [(name, TOP + i * band) for i, name in enumerate(regions)], per_col, marks, ticks, hot)


_HTML_HEAD = """<!doctype html>
<html><head><meta charset="utf-8"><title>Power-cut campaign</title>
<style>
body { font: 14px sans-serif; margin: 1.5em; color: #222; }
.timeline { position: relative; margin: 1.5em 0 1em 7em; }
.timeline img { display: block; image-rendering: pixelated; }
.region { position: absolute; left: -7em; width: 6.5em; text-align: right; font-size: 12px; }
.timeline { margin-top: 3em; margin-bottom: 2.5em; }
.mark { position: absolute; font-size: 11px; color: #1f77b4; white-space: nowrap; }
.tick { position: absolute; font-size: 10px; color: #666; white-space: nowrap; }
table { border-collapse: collapse; margin-top: .5em; }
td, th { border: 1px solid #ccc; padding: 2px 6px; font-size: 12px; text-align: left; vertical-align: top; }
.sw { display: inline-block; width: 12px; height: 12px; margin: 0 4px -2px 12px; }
</style></head><body>
<h1>Power-cut campaign</h1>
"""


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#%02x%02x%02x" % rgb


def _legend() -> str:
    items = [(PASSED, "passed"), (FAILED, "invariant broken"), (ERROR, "campaign error"), (None, "not run")]
    swatches = "".join(f'<span class="sw" style="background:{_hex(COLOURS[k])}"></span>{html.escape(t)}' for k, t in items)
    return (f"<p>{swatches}<span class=\"sw\" style=\"background:{_hex(MARK_COLOUR)}\"></span>mark</p>"
            "<p>Each column is one cut (a distinct flash state), in the order the update reached it, drawn in "
            "the band of the region the interrupted operation writes; the thin strip below holds the second "
            "cuts during the recovery boot after that cut. Hover a red cell for its id.</p>")


def _html_section(n: int, test: str, cuts: dict[str, CutOutcome], picture: Picture | None, timeline: dict | None) -> str:
    e = html.escape
    counts = Counter(c.outcome for c in cuts.values())
    parts = [f"<h2>{e(test)}</h2>",
             f"<p>{len(cuts)} cuts: {counts[PASSED]} passed, {counts[FAILED]} with violations, "
             f"{counts[ERROR]} errors, {counts[SKIPPED]} skipped"
             + (f"; {len(timeline['ops'])} flash operations, {timeline['stores']} stores traced" if timeline else "")
             + "</p>"]
    if picture is not None:
        w, h = picture.canvas.width, picture.canvas.height
        labels = "".join(f'<div class="region" style="top:{y}px">{e(name)}</div>' for name, y in picture.regions)
        marks = "".join(f'<div class="mark" style="left:{x}px;top:-{1.3 + 1.1 * (i % 2):.1f}em">&#9660; {e(name)}</div>'
                        for i, (name, x) in enumerate(picture.marks))
        ticks = "".join(f'<div class="tick" style="left:{x}px;top:{h + 2}px">{e(label)}</div>' for label, x in picture.ticks)
        areas = "".join(f'<area shape="rect" coords="{x0},{y0},{x1},{y1}" title="{e(t)}" alt="{e(t)}">'
                        for x0, y0, x1, y1, t in picture.hot)
        parts.append(f'<div class="timeline">{labels}{marks}{ticks}<img src="power-cut-{n}.png" width="{w}" height="{h}" '
                     f'usemap="#cuts-{n}" alt="timeline of cuts"></div><map name="cuts-{n}">{areas}</map>')
        if picture.cuts_per_column > 1:
            parts.append(f"<p>{picture.cuts_per_column} cuts per column (the worst outcome is shown).</p>")
    bad = sorted((c for c in cuts.values() if c.outcome in (FAILED, ERROR)), key=lambda c: (c.first_op, c.op, c.cut))
    if bad:
        rows = "".join(f"<tr><td>{e(c.cut)}</td><td>{e(', '.join(c.invariants) or c.outcome)}</td>"
                       f"<td>{e(c.detail)}</td></tr>" for c in bad[:500])
        more = f"<p>... and {len(bad) - 500} more</p>" if len(bad) > 500 else ""
        parts.append(f"<table><tr><th>cut</th><th>invariants</th><th>what was seen</th></tr>{rows}</table>{more}")
    invariants = (timeline or {}).get("invariants") or {}
    if invariants:
        # The oracle's own table: what this campaign's invariant names mean.
        rows = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>"
                       for k, v in sorted(invariants.items(), key=lambda kv: invariant_order(kv[0])))
        parts.append(f"<h3>Invariants checked</h3><table>{rows}</table>")
    return "".join(parts)
