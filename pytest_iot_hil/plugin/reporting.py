"""UART transcripts and target facts in pytest's reports and JUnit XML.

pytest writes ``<system-out>`` from each test's teardown report when
``junit_logging`` includes system-out; with ``--hil`` we switch that on (unless
the user chose another setting) and attach every console's transcript as a
report section.  pytest's own ``bin_xml_escape`` makes arbitrary UART bytes
safe for XML; invalid UTF-8 is decoded with replacement characters.
"""

from __future__ import annotations

from pathlib import Path

import pytest

#: (console name, raw transcript, log file) for every console a test used.
TRANSCRIPTS_KEY = pytest.StashKey[list[tuple[str, bytes, Path]]]()


def enable_junit_system_out(config: pytest.Config) -> None:
    from _pytest.junitxml import xml_key  # the LogXML instance, set up by --junitxml

    xml = config.stash.get(xml_key, None)
    if xml is not None and xml.logging == "no":
        xml.logging = "system-out"


def transcript_sections(item: pytest.Item) -> list[tuple[str, str]]:
    sections = []
    for name, data, log_path in item.stash.get(TRANSCRIPTS_KEY, []):
        text = data.decode("utf-8", errors="replace")
        # [[ATTACHMENT|...]] makes Jenkins and GitLab link the full log file.
        text += f"\n[[ATTACHMENT|{log_path}]]\n"
        sections.append((f"Captured stdout {name}", text))
    return sections
