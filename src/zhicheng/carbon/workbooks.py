"""Reading the CEADs provincial workbooks into checked sheet inventories."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from zhicheng.carbon import catalogue, inventory
from zhicheng.carbon.sources import _YEAR, CarbonError
from zhicheng.errors import Problem


def _digest(paths: Sequence[Path], tag: str) -> str:
    h = hashlib.sha256(tag.encode())
    for path in paths:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def workbook_files(folder: Path) -> list[Path]:
    """The inventory workbooks of ``folder`` (``*.xlsx`` whose name has a year), by year."""
    if not folder.is_dir():
        raise CarbonError(f"{folder}: not a folder of inventory workbooks")
    files = [p for p in folder.glob("*.xlsx") if _YEAR.search(p.stem) and not p.name.startswith("~$")]
    if not files:
        raise CarbonError(f"{folder}: no inventory workbooks (*.xlsx with a year in the name)")
    return sorted(files, key=lambda p: int(_YEAR.findall(p.stem)[-1]))


def read_workbooks(files: Iterable[Path]) -> list[inventory.SheetInventory]:
    """Every province sheet of the workbooks, parsed and checked (no store involved).

    Sheets are named ``<Province><year>`` (``Beijing2019``); the ``NOTE`` sheet is skipped.
    A sheet of an unknown province is a problem of that sheet.
    """
    from python_calamine import CalamineWorkbook

    provinces = catalogue.provinces()
    out: list[inventory.SheetInventory] = []
    problems: list[Problem] = []
    for path in files:
        try:
            book = CalamineWorkbook.from_path(str(path))
        except Exception as exc:  # calamine raises its own types for broken files
            problems.append(Problem(f"cannot read the workbook: {exc}", path.name))
            continue
        year_of_file = int(_YEAR.findall(path.stem)[-1])
        for name in book.sheet_names:
            if name.strip().upper() == "NOTE":
                continue
            where = f"{path.name}:{name}"
            match = re.fullmatch(r"\s*([A-Za-z]+)\s*(\d{4})\s*", name)
            if not match or match.group(1) not in provinces:
                problems.append(Problem(f"sheet {name!r} names no known province and year", path.name))
                continue
            year = int(match.group(2))
            if year != year_of_file:
                problems.append(Problem(f"sheet year {year} differs from the file's year {year_of_file}", where))
            rows = book.get_sheet_by_name(name).to_python()
            out.append(inventory.parse_sheet(rows, unit_code=provinces[match.group(1)].code, year=year, where=where))
    if problems:
        raise CarbonError("the inventory workbooks cannot be read", problems)
    return out


#: Problems of a sheet that stop a load (the rest are findings stored beside the data).
_IDENTITY = ("add up to",)


def _split(sheets: Sequence[inventory.SheetInventory]) -> tuple[list[Problem], list[Problem]]:
    blocking: list[Problem] = []
    findings: list[Problem] = []
    for sheet in sheets:
        for p in sheet.problems:
            (findings if any(k in p.reason for k in _IDENTITY) else blocking).append(p)
    return blocking, findings
