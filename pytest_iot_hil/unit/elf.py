"""What a test image's ELF tells before it runs (through pyelftools): its cases, and where an address is.

Case names follow each framework's own naming:

* Unity: functions ``test_*``; the suite is the stem of the file the function
  is declared in (DWARF ``DW_AT_decl_file``), as Unity's output names it;
* Unity Fixture: functions ``TEST_<group>_<name>_`` (``TEST(group, name)``);
  a group name with underscores is told apart by the groups the run printed;
* ztest: the case table's entries ``z_ztest_unit_test__<suite>__<name>``.

A HardFault's stacked PC is named as ``function (file:line)`` from the
symbol table and the DWARF line program.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
from pathlib import Path

_ZTEST_ENTRY = "z_ztest_unit_test__"


@dataclasses.dataclass(frozen=True)
class ListedCase:
    suite: str
    name: str
    file: str | None = None
    line: int | None = None


def _elffile(path: Path):
    from elftools.elf.elffile import ELFFile

    return ELFFile(open(path, "rb"))


def _functions(elf) -> list[tuple[int, int, str]]:
    """(start, size, name) of every function symbol, Thumb bit cleared, by address."""
    symtab = elf.get_section_by_name(".symtab")
    if symtab is None:
        return []
    out = []
    for sym in symtab.iter_symbols():
        if sym["st_info"]["type"] == "STT_FUNC" and sym.name:
            out.append((sym["st_value"] & ~1, sym["st_size"], sym.name))
    return sorted(out)


def _decl_files(elf) -> dict[str, tuple[str, int | None]]:
    """Function name -> (declaring file's name, line), from DWARF (empty without debug info)."""
    if not elf.has_dwarf_info():
        return {}
    out: dict[str, tuple[str, int | None]] = {}
    dwarf = elf.get_dwarf_info()
    for cu in dwarf.iter_CUs():
        lineprog = dwarf.line_program_for_CU(cu)
        files = lineprog["file_entry"] if lineprog else []
        version = lineprog.header["version"] if lineprog else 0
        for die in cu.iter_DIEs():
            if die.tag != "DW_TAG_subprogram" or "DW_AT_name" not in die.attributes:
                continue
            name = die.attributes["DW_AT_name"].value.decode(errors="replace")
            index = die.attributes.get("DW_AT_decl_file")
            if index is None or not files:
                continue
            i = index.value - (0 if version >= 5 else 1)
            if 0 <= i < len(files):
                line = die.attributes.get("DW_AT_decl_line")
                out[name] = (files[i].name.decode(errors="replace"), line.value if line else None)
    return out


def list_cases(path: Path, framework: str, groups: tuple[str, ...] = ()) -> list[ListedCase]:
    """The cases the image holds, in address order (empty if the ELF names none the framework's way)."""
    try:
        elf = _elffile(path)
    except Exception:  # not an ELF (a .bin), or unreadable: the run's output is the listing
        return []
    with elf.stream:
        if framework == "ztest":
            symtab = elf.get_section_by_name(".symtab")
            entries = sorted((s["st_value"], s.name) for s in (symtab.iter_symbols() if symtab else ())
                             if s.name.startswith(_ZTEST_ENTRY) and s["st_info"]["type"] == "STT_OBJECT")
            cases = []
            for _, symbol in entries:
                suite, _, name = symbol[len(_ZTEST_ENTRY):].partition("__")
                if suite and name:
                    cases.append(ListedCase(suite, name))
            return cases
        functions = _functions(elf)
        if framework == "unity-fixture":
            cases = []
            for _, _, fn in functions:
                if fn.startswith("TEST_") and fn.endswith("_") and not fn.startswith("TEST_GROUP_"):
                    body = fn[len("TEST_"):-1]
                    group = next((g for g in sorted(groups, key=len, reverse=True) if body.startswith(g + "_")), None)
                    group = group or body.split("_", 1)[0]
                    cases.append(ListedCase(group, body[len(group) + 1:]))
            return cases
        declared = _decl_files(elf)
        cases = []
        for _, _, fn in functions:
            if fn.startswith("test_"):
                file, line = declared.get(fn, (None, None))
                suite = Path(file).stem if file else "tests"
                cases.append(ListedCase(suite, fn, Path(file).name if file else None, line))
        # Unity's runners call the cases in the order the file declares them.
        return sorted(cases, key=lambda c: (c.file or "", c.line or 0))


class Symbolizer:
    """Names code addresses of one ELF: ``function (file:line)``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    @functools.cached_property
    def _tables(self):
        try:
            elf = _elffile(self.path)
        except Exception:
            return [], [], []
        with elf.stream:
            functions = _functions(elf)
            rows: list[tuple[int, str, int]] = []
            if elf.has_dwarf_info():
                dwarf = elf.get_dwarf_info()
                for cu in dwarf.iter_CUs():
                    lineprog = dwarf.line_program_for_CU(cu)
                    if lineprog is None:
                        continue
                    files = lineprog["file_entry"]
                    shift = 0 if lineprog.header["version"] >= 5 else 1
                    for entry in lineprog.get_entries():
                        state = entry.state
                        if state is None or state.end_sequence:
                            continue
                        i = state.file - shift
                        name = files[i].name.decode(errors="replace") if 0 <= i < len(files) else "?"
                        rows.append((state.address, name, state.line))
            rows.sort()
            return functions, [f[0] for f in functions], rows

    def describe(self, address: int) -> str:
        """``test_x (test_faults.c:13)``, or the bare address when the ELF does not know it."""
        functions, starts, rows = self._tables
        address &= ~1
        where = f"{address:#010x}"
        i = bisect.bisect_right(starts, address) - 1
        if i < 0 or not (functions[i][1] == 0 or address < functions[i][0] + functions[i][1]):
            return where  # in no function the ELF knows: its line table would only guess
        where = f"{functions[i][2]}+{address - functions[i][0]:#x}"
        j = bisect.bisect_right(rows, (address, "\uffff", 1 << 30)) - 1
        if j >= 0 and functions[i][0] <= rows[j][0] <= address:
            where += f" ({Path(rows[j][1]).name}:{rows[j][2]})"
        return where
