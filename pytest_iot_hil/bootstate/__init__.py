"""The demo bootloader's boot state, seen from the host.

* ``bootline`` - the ``BOOT ...`` line printed at every boot and the reply to ``info``;
* ``journal``  - the 64-byte journal records in flash, decoded.
"""

from .bootline import (
    BOOT_LINE_PATTERN, INFO_LINE_PATTERN, BootLine, BootLineError, InfoLine, InfoSlot, find_boot_lines,
    find_info_lines, parse_boot_line, parse_info_line,
)
from .journal import (
    Journal, JournalError, JournalRecord, SlotRecord, decode_record, decode_records, encode_record, read_journal,
)

__all__ = [
    "BOOT_LINE_PATTERN", "INFO_LINE_PATTERN", "BootLine", "BootLineError", "InfoLine", "InfoSlot", "Journal",
    "JournalError", "JournalRecord", "SlotRecord", "decode_record", "decode_records", "encode_record",
    "find_boot_lines", "find_info_lines", "parse_boot_line", "parse_info_line", "read_journal",
]
