"""A rehearsal's report: the version distribution over time per stage (PNG), stages and devices (HTML)."""

from __future__ import annotations

import base64
import html
from pathlib import Path

from ..campaign.png import Canvas, encode_png
from .result import RolloutResult

_PALETTE = [(66, 133, 244), (52, 168, 83), (251, 188, 5), (171, 71, 188), (0, 172, 193), (255, 112, 67)]
_OFF = (189, 189, 189)
_PAUSE = (219, 68, 55)
_STAGE = (60, 60, 60)


def version_colours(result: RolloutResult) -> dict[str, tuple[int, int, int]]:
    versions = sorted({v for _, _, v, _, _ in result.timeline if v != "-"} | {result.initial_version} - {""})
    return {v: _PALETTE[i % len(_PALETTE)] for i, v in enumerate(versions)}


def distribution(result: RolloutResult, steps: int) -> tuple[list[dict[str, int]], float]:
    """Devices per version at ``steps`` moments over the rehearsal; devices not yet up count as the initial version."""
    end = max([t for t, *_ in result.timeline] + [s.ended_s for s in result.stages] + [1e-3])
    current = {d: result.initial_version or "-" for d in result.devices}
    events = sorted(result.timeline)
    columns, i = [], 0
    for step in range(steps):
        moment = end * (step + 1) / steps
        while i < len(events) and events[i][0] <= moment:
            _, dev, version, state, _ = events[i]
            current[dev] = "off" if state == "OFF" else version
            i += 1
        counts: dict[str, int] = {}
        for version in current.values():
            counts[version] = counts.get(version, 0) + 1
        columns.append(counts)
    return columns, end


def render_png(result: RolloutResult, width: int = 720, height: int = 240) -> bytes:
    colours = version_colours(result)
    columns, end = distribution(result, width)
    canvas = Canvas(width, height)
    total = max(len(result.devices), 1)
    for x, counts in enumerate(columns):
        y = height
        for version in sorted(counts, key=lambda v: (v == "off", v)):
            h = round(counts[version] * height / total)
            colour = _OFF if version in ("off", "-") else colours.get(version, _OFF)
            canvas.fill(x, y - h, 1, h, colour)
            y -= h
    for stage in result.stages:
        canvas.fill(round(stage.started_s / end * (width - 1)), 0, 1, height, _STAGE)
    if result.trip is not None:
        at = next(s.ended_s for s in result.stages if s.name == result.trip.stage)
        canvas.fill(min(width - 3, round(at / end * (width - 1))), 0, 3, height, _PAUSE)
    return encode_png(width, height, canvas.pixels)


def write_report(result: RolloutResult, base: Path, *, title: str) -> Path:
    """``<base>.png`` and ``<base>.html`` (the PNG embedded, so the HTML travels alone); returns the HTML's path."""
    png = render_png(result)
    base.with_suffix(".png").write_bytes(png)
    colours = version_colours(result)
    e = html.escape
    legend = " ".join(f'<span style="background:rgb{c};padding:0 8px">&nbsp;</span> {e(v)}' for v, c in colours.items())
    status = (f'<p style="color:#db4437"><b>Paused</b> at {e(result.trip.stage)}: {e(str(result.trip))}</p>'
              if result.trip else "<p><b>Completed</b>: every stage passed.</p>")
    stage_rows = "".join(
        f"<tr><td>{e(s.name)}</td><td>{len(s.devices)}</td><td>{e(', '.join(f'{k} {v}' for k, v in sorted(s.counts.items())))}</td>"
        f"<td>{e(', '.join(f'{k} {v:g}' for k, v in s.metrics.items()))}</td><td>{s.started_s:.1f}-{s.ended_s:.1f} s</td>"
        f"<td>{e(str(s.trip)) if s.trip else 'passed'}</td></tr>" for s in result.stages)
    stage_rows += "".join(f"<tr><td>{e(n)}</td><td colspan=5>not started</td></tr>" for n in result.not_started)
    device_rows = "".join(
        f"<tr><td>{e(o.device)}</td><td>{e(', '.join(f'{k}={v}' for k, v in o.tags.items()))}</td><td>{e(o.conditions)}</td>"
        f"<td>{e(o.stage or '-')}</td><td>{e(o.outcome)}</td><td>{e(o.version)} {e(o.state)}</td><td>{o.attempts}</td>"
        f"<td>{e('; '.join(str(f) for f in o.faults))}</td>"
        f"<td>{'' if o.drain_mv_h is None else f'{o.drain_mv_h:.0f}'}</td><td>{e('; '.join(o.notes))}</td></tr>"
        for o in sorted(result.devices.values(), key=lambda o: o.device))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font-family:sans-serif}} td,th{{border:1px solid #ccc;padding:2px 6px;font-size:13px}} table{{border-collapse:collapse}}</style>
</head><body><h1>{e(title)}</h1>{status}
<p>Devices per version over time; grey lines start stages, red marks the pause. {legend}</p>
<img alt="version distribution over time" src="data:image/png;base64,{base64.b64encode(png).decode()}">
<h2>Stages</h2><table><tr><th>stage</th><th>devices</th><th>outcomes</th><th>metrics</th><th>time</th><th>triggers</th></tr>{stage_rows}</table>
<h2>Devices</h2><table><tr><th>device</th><th>tags</th><th>field conditions</th><th>stage</th><th>outcome</th><th>runs</th>
<th>attempts</th><th>faults</th><th>drain mV/h</th><th>notes</th></tr>{device_rows}</table></body></html>"""
    path = base.with_suffix(".html")
    path.write_text(page)
    return path
