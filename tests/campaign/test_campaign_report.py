"""The report: outcomes from test reports, the terminal summary, the PNG and the HTML page (no emulator)."""

from __future__ import annotations

import dataclasses
import json
import struct
import zlib

from pytest_iot_hil.campaign.png import Canvas, encode_png
from pytest_iot_hil.campaign.report import COLOURS, FAILED, PASSED, Outcomes, cut_properties


def decode_png(data: bytes) -> tuple[int, int, bytes]:
    """Width, height and RGB pixels of a PNG written by encode_png (filter 0, one IDAT)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, chunks = 8, {}
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(kind + body)
        chunks[kind] = body
        pos += 12 + length
    width, height = struct.unpack(">II", chunks[b"IHDR"][:8])
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = width * 3 + 1
    assert all(raw[y * stride] == 0 for y in range(height))
    return width, height, b"".join(raw[y * stride + 1 : (y + 1) * stride] for y in range(height))


def test_png_round_trip():
    canvas = Canvas(5, 3)
    canvas.fill(1, 1, 2, 1, (10, 20, 30))
    width, height, pixels = decode_png(encode_png(canvas.width, canvas.height, canvas.pixels))
    assert (width, height) == (5, 3)
    assert pixels[(1 * 5 + 1) * 3 : (1 * 5 + 1) * 3 + 3] == bytes((10, 20, 30))
    assert pixels[:3] == b"\xff\xff\xff"


@dataclasses.dataclass
class FakeReport:
    nodeid: str
    when: str
    outcome: str
    user_properties: list
    longreprtext: str = ""


def report(cut, op, region, outcome=PASSED, violations="", kind="program", variant="", depth=1, parent="",
           first_op=None, timeline=""):
    props = cut_properties(cut=cut, op=op, first_op=op if first_op is None else first_op, kind=kind,
                           variant=variant, region=region, depth=depth, parent=parent, timeline=timeline,
                           seconds="0.03", violations=violations, detail="seen it" if violations else "")
    return FakeReport(f"test_x.py::test_cut[{cut}]", "call", outcome, props)


def test_outcomes_summary_html_and_png(tmp_path):
    timeline = tmp_path / "t.json"
    timeline.write_text(json.dumps({"ops": [["program", "journal"]] * 4 + [["program", "slot_b"]] * 4,
                                    "regions": ["journal", "slot_b", "flash"], "marks": [["confirm_acked", 4]],
                                    "stores": 16}))
    outcomes = Outcomes()
    outcomes.add_report(FakeReport("test_x.py::test_other", "call", "passed", []))  # not a campaign test
    for k in range(8):
        region = "journal" if k < 4 else "slot_b"
        bad = k == 5
        outcomes.add_report(report(f"cut-000{k}-program-{region}", k, region, FAILED if bad else PASSED,
                                   "I5,I2" if bad else "", timeline=str(timeline)))
    outcomes.add_report(report("cut-0002-program-journal-then-0001-program-journal", 1, "journal", FAILED, "I8",
                               depth=2, parent="cut-0002-program-journal", first_op=2, timeline=str(timeline)))
    setup_error = report("cut-0008-end", 8, "", kind="end", timeline=str(timeline))
    setup_error.when, setup_error.outcome, setup_error.longreprtext = "setup", "failed", "Traceback\nTargetError: QEMU died"
    outcomes.add_report(setup_error)

    assert list(outcomes.by_test) == ["test_x.py::test_cut"]
    lines = outcomes.summary_lines()
    assert lines[0].startswith("test_x.py::test_cut: 10 cuts run (1 second cuts), 7 passed, 2 with violations, 1 errors")
    assert "violations per invariant: I2 1 cut, I5 1 cut, I8 1 cut" in lines[1]
    assert any("worst: cut-0005-program-slot_b (I2, I5): seen it" in line for line in lines)
    assert any("error: cut-0008-end: TargetError: QEMU died" in line for line in lines)

    written = outcomes.write(tmp_path / "out")
    page, png = written
    assert page.name == "power-cut-report.html" and png.name == "power-cut-0.png"
    html = page.read_text()
    assert "cut-0005-program-slot_b I2,I5" in html  # the failing cell's tooltip
    assert "confirm_acked" in html and ">journal<" in html and ">slot_b<" in html
    width, height, pixels = decode_png(png.read_bytes())
    colours = {bytes(pixels[i : i + 3]) for i in range(0, len(pixels), 3)}
    assert bytes(COLOURS[PASSED]) in colours and bytes(COLOURS[FAILED]) in colours
    assert outcomes.summary_lines()[-1] == f"report: {page}"


def test_no_campaign_no_report(tmp_path):
    outcomes = Outcomes()
    assert outcomes.write(tmp_path) == [] and outcomes.summary_lines() == []
