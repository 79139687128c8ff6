"""CEADs inventory sheets → checked matrices → one long table (unit, year, sector, source, scope, value).

A province sheet of the CEADs workbooks is a matrix: one row per socio-economic sector (47) and
the ``TotalEmissions`` row, one column per fuel (17), the process column (cement), the scope-2
heat and electricity columns, other energy and ``Scope_1_Total``; unit Mt CO2. Headers and
labels are matched through :func:`zhicheng.carbon.catalogue.header_key`, so ``Raw Coal``,
``Raw_Coal`` and ``CleanedCoal`` all find their column.

Checks (CEADs' own accounting identities, Shan et al. 2018 §Methods): the sector rows add up to
the total row in every column, and the fuel and process columns add up to ``Scope_1_Total`` in
every row (the scope-2 columns are reported beside scope 1, never added to it). Every sheet
where either fails is reported with its row and column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zhicheng.carbon import catalogue
from zhicheng.errors import Problem

#: Long-table columns (values in Mt CO2).
COLUMNS = ["unit_code", "year", "sector", "source", "scope", "value_mt"]
#: Labels of the total row across the years (``Total Consumption`` in 1997–2015, ``TotalEmissions`` later).
TOTAL_LABELS = frozenset({"totalconsumption", "totalemissions", "total"})
#: Tolerance of the accounting checks: absolute [Mt CO2] plus relative to the total.
CHECK_ATOL = 1e-6
CHECK_RTOL = 1e-6


@dataclass(frozen=True)
class SheetInventory:
    """One province-year: the sector × column matrix [Mt CO2] and what the checks found."""

    unit_code: str
    year: int
    #: Column ids, in :func:`catalogue.sources` order, of ``matrix``'s columns.
    sources: tuple[str, ...]
    #: Sector ids, in :func:`catalogue.sectors` order, of ``matrix``'s rows.
    sectors: tuple[str, ...]
    matrix: np.ndarray
    #: The sheet's own total row (same columns as ``matrix``).
    total_row: np.ndarray
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def total_emissions(self) -> float:
        """The sheet's ``TotalEmissions`` × ``Scope_1_Total`` cell [Mt CO2]."""
        return float(self.total_row[self.sources.index("scope1_total")])

    def long(self) -> pd.DataFrame:
        """The matrix as long rows (non-zero cells only; the total row and column are derivable)."""
        cols = [i for i, s in enumerate(self.sources) if s != "scope1_total"]
        sub = self.matrix[:, cols]
        rows, colix = np.nonzero(sub)
        meta = catalogue.sources()
        src = np.array([self.sources[c] for c in cols], dtype=object)
        scope = np.array([meta[s].scope for s in src], dtype=object)
        return pd.DataFrame({
            "unit_code": self.unit_code,
            "year": self.year,
            "sector": np.array(self.sectors, dtype=object)[rows],
            "source": src[colix],
            "scope": scope[colix],
            "value_mt": sub[rows, colix],
        }, columns=COLUMNS)


def _number(cell: object) -> float | None:
    if isinstance(cell, bool):
        return None
    if isinstance(cell, int | float):
        return float(cell)
    if isinstance(cell, str):
        text = cell.strip()
        if text == "":
            return 0.0  # an empty cell of the matrix is a zero in CEADs' layout
        try:
            return float(text)
        except ValueError:
            return None
    return None


def _header(rows: Sequence[Sequence[object]], where: str) -> tuple[int, dict[int, str], list[Problem]]:
    """The header row's index, its columns (index → source id) and problems with it."""
    spell = catalogue.source_spellings()
    for r, row in enumerate(rows[:10]):
        found = {c: spell[header_key] for c, cell in enumerate(row) if (header_key := catalogue.header_key(cell)) in spell}
        if len(found) >= len(spell) // 2:
            problems = []
            for c, cell in enumerate(row):
                if c > 0 and c not in found and catalogue.header_key(cell):
                    problems.append(Problem(f"unknown column header {str(cell).strip()!r}", where, r + 1, _col(c)))
            missing = set(spell.values()) - set(found.values())
            problems += [Problem(f"column {m!r} missing", where, r + 1) for m in sorted(missing)]
            return r, found, problems
    return -1, {}, [Problem("no header row with the inventory's fuel columns in the first 10 rows", where)]


def _col(index: int) -> str:
    """A spreadsheet column letter (0 → A)."""
    name = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        name = chr(65 + rem) + name
    return name


def _fill(target: np.ndarray, row: Sequence[object], columns: dict[int, str], src_index: dict[str, int],
          where: str, r: int) -> list[Problem]:
    """Copy one row's cells into ``target`` (by column id); problems for cells that are no emission."""
    problems = []
    for c, sid in columns.items():
        value = _number(row[c]) if c < len(row) else 0.0
        if value is None:
            problems.append(Problem(f"not a number: {row[c]!r}", where, r + 1, _col(c)))
        elif not np.isfinite(value) or value < 0:
            problems.append(Problem(f"impossible emission {value!r} Mt CO2", where, r + 1, _col(c)))
        else:
            target[src_index[sid]] = value
    return problems


def _fill_rows(rows: Sequence[Sequence[object]], targets: list[tuple[int, np.ndarray]], columns: dict[int, str],
               src_index: dict[str, int], where: str) -> list[Problem]:
    """Copy the cells of the chosen rows into their targets.

    One vectorised conversion when every cell is a number or empty (the usual case), else cell by
    cell to locate each bad one.
    """
    if not targets:
        return []
    cols = list(columns)
    dest = [src_index[columns[c]] for c in cols]
    width = max(cols) + 1
    try:
        block = np.array([list(rows[r][:width]) + [""] * (width - len(rows[r])) for r, _ in targets], dtype=object)
        block = block[:, cols]
        block[block == ""] = 0.0
        values = block.astype(float)
        if not np.isfinite(values).all() or (values < 0).any():
            raise ValueError("impossible values")
    except (ValueError, TypeError):
        problems: list[Problem] = []
        for r, target in targets:
            problems += _fill(target, rows[r], columns, src_index, where, r)
        return problems
    for k, (_, target) in enumerate(targets):
        target[dest] = values[k]
    return []


def parse_sheet(rows: Sequence[Sequence[object]], *, unit_code: str, year: int, where: str) -> SheetInventory:
    """Read one province sheet (rows of cells as a reader gives them) and check its identities.

    Parameters
    ----------
    rows
        The sheet's cells, row by row (strings, numbers; empty cells as ``""``).
    unit_code, year
        The province's division code and the inventory year.
    where
        ``file:sheet``, used to locate every problem.

    Returns
    -------
    SheetInventory
        The matrix [Mt CO2] and every problem found (unknown or missing headers and sectors,
        non-numeric cells, failed accounting identities). Missing parts are zeros, so a bad
        sheet still yields a matrix; the caller decides whether problems block the load.

    References
    ----------
    Shan, Y. et al. (2018) China CO2 emission accounts 1997–2015. Scientific Data 5:170201
    (sectoral approach, 47 sectors × 17 fuels + cement process); Shan et al. (2020) Scientific
    Data 7:54 (2016–2017 update).
    """
    meta_sources = list(catalogue.sources())
    meta_sectors = list(catalogue.sectors())
    head, columns, problems = _header(rows, where)
    matrix = np.zeros((len(meta_sectors), len(meta_sources)))
    total = np.zeros(len(meta_sources))
    seen_total = False
    seen: set[str] = set()
    sector_spell = catalogue.sector_spellings()
    src_index = {s: i for i, s in enumerate(meta_sources)}
    sec_index = {s: i for i, s in enumerate(meta_sectors)}
    targets: list[tuple[int, np.ndarray]] = []
    for r in range(head + 1, len(rows)) if head >= 0 else ():
        row = rows[r]
        key = catalogue.header_key(row[0]) if row else ""
        if key in ("", "unit"):
            continue
        if key in TOTAL_LABELS:
            targets.append((r, total))
            seen_total = True
        elif key in sector_spell and sector_spell[key] not in seen:
            seen.add(sector_spell[key])
            targets.append((r, matrix[sec_index[sector_spell[key]]]))
        else:
            why = "appears twice" if key in sector_spell else "is unknown"
            problems.append(Problem(f"sector {str(row[0]).strip()!r} {why}", where, r + 1, "A"))
    problems += _fill_rows(rows, targets, columns, src_index, where)
    if head >= 0:
        if not seen_total:
            problems.append(Problem("no total row (TotalEmissions / Total Consumption)", where))
        for sid in meta_sectors:
            if sid not in seen:
                problems.append(Problem(f"sector {catalogue.sectors()[sid].en!r} missing", where))
    inv = SheetInventory(unit_code, year, tuple(meta_sources), tuple(meta_sectors), matrix, total, ())
    if head >= 0 and seen_total:
        problems += check_identities(inv, where, columns)
    return SheetInventory(unit_code, year, inv.sources, inv.sectors, matrix, total, tuple(problems))


def check_identities(inv: SheetInventory, where: str, columns: dict[int, str] | None = None) -> list[Problem]:
    """CEADs' two accounting identities on one sheet, one problem per failing row or column.

    1. every column: Σ sectors = the total row;
    2. every row (sectors and total): Σ fuels + process = ``Scope_1_Total`` (scope-2 columns and
       other energy are not part of scope 1).

    Both hold within ``CHECK_ATOL + CHECK_RTOL · |total|`` [Mt CO2].
    """
    letter = {sid: _col(c) for c, sid in (columns or {}).items()}
    problems = []
    col_sum = inv.matrix.sum(axis=0)
    bad = np.abs(col_sum - inv.total_row) > CHECK_ATOL + CHECK_RTOL * np.abs(inv.total_row)
    for c in np.flatnonzero(bad):
        sid = inv.sources[c]
        problems.append(Problem(f"sectors add up to {col_sum[c]:.6f} Mt, the total row says {inv.total_row[c]:.6f} Mt",
                                where, None, letter.get(sid, sid)))
    meta = catalogue.sources()
    scope1 = [i for i, s in enumerate(inv.sources) if meta[s].scope == "1"]
    s1 = inv.sources.index("scope1_total")
    full = np.vstack([inv.total_row, inv.matrix])
    row_sum = full[:, scope1].sum(axis=1)
    bad_rows = np.abs(row_sum - full[:, s1]) > CHECK_ATOL + CHECK_RTOL * np.abs(full[:, s1])
    names = ["TotalEmissions", *(catalogue.sectors()[s].en for s in inv.sectors)]
    for r in np.flatnonzero(bad_rows):
        problems.append(Problem(f"fuels and process add up to {row_sum[r]:.6f} Mt, Scope_1_Total says "
                                f"{full[r, s1]:.6f} Mt ({names[r]})", where, None, letter.get("scope1_total", "Scope_1_Total")))
    return problems


def combine(sheets: Sequence[SheetInventory]) -> pd.DataFrame:
    """The long table of many sheets (one frame, in sheet order; non-zero cells only)."""
    if not sheets:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})
    sources = sheets[0].sources
    keep = [i for i, src in enumerate(sources) if src != "scope1_total"]
    cube = np.stack([s.matrix[:, keep] for s in sheets])  # (sheets, sectors, sources)
    k, r, c = np.nonzero(cube)
    meta = catalogue.sources()
    src = np.array([sources[i] for i in keep], dtype=object)
    scope = np.array([meta[x].scope for x in src], dtype=object)
    unit = np.array([s.unit_code for s in sheets], dtype=object)
    year = np.array([s.year for s in sheets], dtype=np.int64)
    return pd.DataFrame({
        "unit_code": unit[k], "year": year[k], "sector": np.array(sheets[0].sectors, dtype=object)[r],
        "source": src[c], "scope": scope[c], "value_mt": cube[k, r, c],
    }, columns=COLUMNS)
