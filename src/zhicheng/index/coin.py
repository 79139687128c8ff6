"""The coin: indicator data plus the hierarchy that turns it into a composite index.

A :class:`Coin` holds what COINr's ``new_coin()`` assembles from ``iData`` and ``iMeta``: the raw
indicator values (units x indicators), the unit groups and denominators, and the indicator
metadata (levels, parents, directions, weights).  It is validated once, on construction, and every
problem is reported together in one :class:`~zhicheng.index.errors.IndexInputError`.

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, Step 1 (theoretical framework)
and Step 2 (data selection).  COINr ``new_coin()``, ``check_iData()``, ``check_iMeta()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from zhicheng.errors import Problem
from zhicheng.index.errors import IndexInputError

#: iMeta ``Type`` values that belong to the index tree.
TREE_TYPES = ("Indicator", "Aggregate")
#: iData columns that are never indicator data.
ID_COLUMNS = ("uCode", "uName", "Time")


def collation_key(code: str) -> tuple[str, str]:
    """Sort key close to R's locale collation of codes (case-insensitive first, then case).

    COINr orders aggregates with ``tapply`` / ``order``, i.e. R's ``sort`` in a UTF-8 locale, which
    compares letters case-insensitively before it looks at case ("Tariff" < "TBTs" < "TIRcon").
    """
    return (code.casefold(), code.swapcase())


@dataclass(frozen=True)
class Node:
    """One indicator or aggregate of the hierarchy."""

    code: str
    level: int
    parent: str | None
    weight: float = 1.0
    direction: int = 1


@dataclass
class Coin:
    """Indicator data and the index hierarchy (COINr's *coin*).

    Attributes
    ----------
    data
        Raw indicator values [indicator units], one row per unit (index ``uCode``), one column per
        indicator in metadata order.
    meta
        One row per indicator and aggregate with columns ``iCode, iName, Level, Parent, Direction,
        Weight, Type, Target, Denominator`` (metadata order, as in COINr's ``iMeta``).
    groups
        Unit grouping columns (index ``uCode``), e.g. ``EurAsia_group``.
    denominators
        Denominator columns (index ``uCode``), e.g. ``GDP``.
    """

    data: pd.DataFrame
    meta: pd.DataFrame
    groups: pd.DataFrame = field(default_factory=pd.DataFrame)
    denominators: pd.DataFrame = field(default_factory=pd.DataFrame)
    unit_names: pd.Series | None = None

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_coinr(cls, idata: pd.DataFrame, imeta: pd.DataFrame, *, data_file: str | None = None,
                   meta_file: str | None = None) -> Coin:
        """Build a coin from COINr's ``iData`` / ``iMeta`` layout (as ``new_coin()`` does).

        Units are sorted by ``uCode`` as COINr's data sets are.  Raises
        :class:`~zhicheng.index.errors.IndexInputError` listing every problem: missing or duplicate
        unit codes, non-numeric indicator values, a hierarchy with cycles or orphans, bad
        directions or weights, indicators missing from the data.
        """
        problems: list[Problem] = []
        meta = _clean_meta(imeta, meta_file, problems)
        if "uCode" not in idata.columns:
            problems.append(Problem("iData has no 'uCode' column", file=data_file))
            raise IndexInputError(problems=problems)
        codes = idata["uCode"]
        _check_unit_codes(codes, data_file, problems)
        types = dict(zip([str(c) for c in imeta["iCode"].tolist()], [str(t) for t in imeta["Type"].tolist()],
                         strict=True))
        tree_codes = [str(c) for c in meta.attrs["lists"]["iCode"]]
        ind_codes = [c for c in tree_codes if types.get(c) == "Indicator"]
        den_codes = [c for c, t in types.items() if t == "Denominator"]
        grp_codes = [c for c, t in types.items() if t == "Group"]
        present = set(idata.columns.tolist())
        for c in ind_codes + den_codes + grp_codes:
            if c not in present:
                problems.append(Problem(f"{types[c].lower()} {c!r} named in iMeta is not a column of iData",
                                        file=data_file, column=c))
        numeric = _numeric_block(idata, [c for c in ind_codes + den_codes if c in present],
                                 data_file, problems)
        if problems:
            raise IndexInputError(problems=problems)
        ucodes = [str(c) for c in codes.tolist()]
        keys = [collation_key(c) for c in ucodes]
        order = sorted(range(len(ucodes)), key=keys.__getitem__)
        index = pd.Index([ucodes[i] for i in order], name="uCode", dtype=object)
        values = numeric[order]
        k = len(ind_codes)
        groups = pd.DataFrame({g: idata[g].to_numpy()[order] for g in grp_codes}, index=index)
        names = None
        if "uName" in idata.columns:
            names = pd.Series(idata["uName"].to_numpy()[order], index=index)
        lists = meta.attrs.pop("lists", None)
        coin = cls(data=pd.DataFrame(values[:, :k], index=index, columns=ind_codes), meta=meta, groups=groups,
                   denominators=pd.DataFrame(values[:, k:], index=index, columns=den_codes), unit_names=names)
        if lists is not None:
            _prime(coin, lists)
        return coin

    @classmethod
    def from_hierarchy(cls, data: pd.DataFrame, hierarchy: Iterable[Sequence[object] | Node],
                       directions: Mapping[str, int] | None = None, *,
                       groups: pd.DataFrame | None = None,
                       denominators: pd.DataFrame | None = None) -> Coin:
        """Build a coin from a plain hierarchy.

        Parameters
        ----------
        data
            Indicator values, one row per unit (the index holds the unit codes), one column per
            indicator [indicator units].
        hierarchy
            Items ``(code, parent, level, weight)`` (or :class:`Node`) for every indicator
            (level 1) and aggregate; the top node has parent ``None``.
        directions
            ``+1`` (higher is better) or ``-1`` per indicator; missing indicators default to ``+1``.
        groups, denominators
            Optional unit grouping and denominator columns indexed like ``data``.

        References
        ----------
        OECD/JRC Handbook (2008), Step 1 (theoretical framework: the indicator tree);
        COINr ``new_coin()`` (same checks as ``from_coinr``).
        """
        rows = []
        for item in hierarchy:
            if isinstance(item, Node):
                code, parent, level, weight = item.code, item.parent, item.level, item.weight
            else:
                code, parent, level, weight = (list(item) + [1.0])[:4]  # type: ignore[assignment]
            rows.append({"iCode": code, "Level": level, "Parent": parent, "Weight": weight})
        meta = pd.DataFrame(rows, columns=["iCode", "Level", "Parent", "Weight"])
        dirs = dict(directions or {})
        meta["Direction"] = [dirs.get(str(c), 1) for c in meta["iCode"]]
        meta["Type"] = np.where(meta["Level"].astype(float) == 1, "Indicator", "Aggregate")
        problems: list[Problem] = []
        for code in dirs:
            if code not in set(meta["iCode"].astype(str)):
                problems.append(Problem(f"direction given for unknown indicator {code!r}", column=code))
        idata = data.reset_index()
        idata = idata.rename(columns={idata.columns[0]: "uCode"})
        extra = []
        if groups is not None:
            for c in groups.columns:
                idata[c] = groups.reindex(data.index)[c].to_numpy()
                extra.append({"iCode": c, "Type": "Group"})
        if denominators is not None:
            for c in denominators.columns:
                idata[c] = denominators.reindex(data.index)[c].to_numpy()
                extra.append({"iCode": c, "Type": "Denominator"})
        imeta = pd.concat([meta, pd.DataFrame(extra)], ignore_index=True) if extra else meta
        try:
            coin = cls.from_coinr(idata, imeta)
        except IndexInputError as exc:
            raise IndexInputError(problems=problems + exc.problems) from None
        if problems:
            raise IndexInputError(problems=problems)
        # keep the caller's unit order
        order = [str(u) for u in data.index]
        coin.data = coin.data.loc[order]
        coin.groups = coin.groups.loc[order]
        coin.denominators = coin.denominators.loc[order]
        return coin

    # ------------------------------------------------------------------ hierarchy views
    @cached_property
    def indicators(self) -> list[str]:
        """Indicator codes (level 1) in metadata order."""
        return [c for c, lv in self.level_of.items() if lv == 1]

    @cached_property
    def max_level(self) -> int:
        """The top level (the index)."""
        return int(self.meta["Level"].max())

    @cached_property
    def parent_of(self) -> dict[str, str | None]:
        """Parent code of every node (``None`` at the top)."""
        return {str(c): (None if p is None or (isinstance(p, float) and np.isnan(p)) else str(p))
                for c, p in zip(self.meta["iCode"].tolist(), self.meta["Parent"].tolist(), strict=True)}

    @cached_property
    def level_of(self) -> dict[str, int]:
        """Level of every node."""
        return {str(c): int(lv) for c, lv in zip(self.meta["iCode"].tolist(), self.meta["Level"].tolist(),
                                                 strict=True)}

    @cached_property
    def children(self) -> dict[str, list[str]]:
        """Children of every aggregate, in metadata order."""
        out: dict[str, list[str]] = {}
        for c, p in self.parent_of.items():
            if p is not None:
                out.setdefault(p, []).append(c)
        return out

    def aggregates_at(self, level: int) -> list[str]:
        """Codes of the aggregates at ``level`` in the order COINr's ``Aggregate`` writes them.

        COINr aggregates with ``tapply(..., Parent)``, so the new columns come in the sorted order
        of the parent codes.
        """
        codes = [c for c, lv in self.level_of.items() if lv == level]
        return sorted(codes, key=collation_key)

    @cached_property
    def weights(self) -> dict[str, float]:
        """Original weights of every node (``iMeta`` ``Weight``)."""
        return {str(c): float(w) for c, w in zip(self.meta["iCode"].tolist(), self.meta["Weight"].tolist(),
                                                 strict=True)}

    @cached_property
    def directions(self) -> dict[str, float]:
        """Direction (+1 / -1) of every indicator."""
        return {str(c): float(d) for c, d, lv in zip(self.meta["iCode"].tolist(), self.meta["Direction"].tolist(),
                                                     self.meta["Level"].tolist(), strict=True) if lv == 1}

    @cached_property
    def targets(self) -> dict[str, float]:
        """Targets of the indicators (``iMeta`` ``Target``; ``NaN`` where none)."""
        return {str(c): float(t) if t is not None else float("nan")
                for c, t in zip(self.meta["iCode"].tolist(), pd.to_numeric(self.meta["Target"], errors="coerce").tolist(),
                                strict=True)}

    def lineage(self) -> pd.DataFrame:
        """COINr's ``Meta$Lineage``: one row per indicator with its ancestor at each level.

        Rows are sorted by ancestors from the top level down, then by indicator code, as COINr's
        ``get_results(tab_type = "Full")`` orders indicator columns.
        """
        rows = []
        for ind in self.indicators:
            chain = [ind]
            node: str | None = ind
            while node is not None and self.parent_of.get(node) is not None:
                node = self.parent_of[node]
                chain.append(str(node))
            rows.append(chain)
        width = max(len(r) for r in rows)
        rows = [r + [""] * (width - len(r)) for r in rows]
        rows.sort(key=lambda r: [collation_key(x) for x in reversed(r[1:])] + [collation_key(r[0])])
        return pd.DataFrame(rows, columns=[f"Level{i + 1}" for i in range(width)])

    def check_weights(self, weights: Mapping[str, float]) -> None:
        """Refuse weights that name codes outside the hierarchy or are not finite numbers."""
        known = set(self.level_of)
        problems = []
        for code, w in weights.items():
            if code not in known:
                problems.append(Problem(f"weight given for unknown indicator or aggregate {code!r}",
                                        column=str(code)))
            elif not np.isfinite(float(w)):
                problems.append(Problem(f"weight of {code!r} is not a finite number", column=str(code)))
        if problems:
            raise IndexInputError(problems=problems)


# ---------------------------------------------------------------------- validation helpers
def _check_unit_codes(codes: pd.Series, file: str | None, problems: list[Problem]) -> None:
    as_str = codes.tolist()
    empty = [c is None or c != c or str(c).strip() == "" for c in as_str]
    if not any(empty) and len(set(map(str, as_str))) == len(as_str):
        return
    first: dict[str, int] = {}
    for i, code in enumerate(as_str):
        row = i + 1
        if empty[i]:
            problems.append(Problem("empty unit code", file=file, row=row, column="uCode"))
        elif str(code) in first:
            problems.append(Problem(f"duplicate unit code {code!r} (first at row {first[str(code)]})",
                                    file=file, row=row, column="uCode"))
        else:
            first[str(code)] = row


def _numeric_block(idata: pd.DataFrame, cols: list[str], file: str | None,
                   problems: list[Problem]) -> np.ndarray:
    kinds = dict(zip(idata.columns.tolist(), [getattr(t, "kind", "O") for t in idata.dtypes.tolist()], strict=True))
    numeric = [kinds[c] in "fiu" for c in cols]
    block = idata[cols]
    if all(numeric):
        return block.to_numpy(dtype=float)
    values = np.empty((len(idata), len(cols)), dtype=float)
    for j, c in enumerate(cols):
        if numeric[j]:
            values[:, j] = block[c].to_numpy(dtype=float)
            continue
        raw = block[c]
        conv = pd.to_numeric(raw, errors="coerce")
        blank = raw.isna() | (raw.astype(str).str.strip() == "")
        bad = conv.isna() & ~blank
        for i in np.flatnonzero(bad.to_numpy()):
            problems.append(Problem(f"non-numeric value {raw.iloc[i]!r} (unit {idata['uCode'].iloc[i]!r})",
                                    file=file, row=int(i) + 1, column=c))
        values[:, j] = conv.astype(float).to_numpy()
    return values


def _to_float(v: object) -> float:
    try:
        f = float(v)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return float("nan")
    return f


def _clean_meta(imeta: pd.DataFrame, file: str | None, problems: list[Problem]) -> pd.DataFrame:
    for name in ("iCode", "Level", "Parent", "Type"):
        if name not in imeta.columns:
            problems.append(Problem(f"iMeta has no {name!r} column", file=file))
    if problems:
        raise IndexInputError(problems=problems)
    keep = [i for i, t in enumerate(imeta["Type"].tolist()) if t in TREE_TYPES]

    def col(name: str, default: object, numeric: bool = False) -> list[object]:
        if name not in imeta.columns:
            return [default] * len(keep)
        v = imeta[name].tolist()
        return [_to_float(v[i]) for i in keep] if numeric else [v[i] for i in keep]

    tree: dict[str, list[object]] = {
        "iCode": [str(c) for c in col("iCode", None)], "iName": col("iName", None),
        "Level": col("Level", np.nan, True),
        "Parent": [None if p is None or (isinstance(p, float) and np.isnan(p)) or str(p).strip() == ""
                   else str(p) for p in col("Parent", None)],
        "Direction": col("Direction", 1, True), "Weight": col("Weight", 1.0, True),
        "Type": col("Type", None), "Target": col("Target", np.nan, True),
        "Denominator": col("Denominator", None)}
    for extra in imeta.columns:
        if extra not in tree and extra != "Type":
            tree[str(extra)] = col(str(extra), None)
    _check_tree(tree, file, problems)
    if problems:
        raise IndexInputError(problems=problems)
    tree["Level"] = [int(v) for v in tree["Level"]]  # type: ignore[call-overload]
    out = pd.DataFrame({k: pd.Series(v, dtype=object) if k == "Parent" else v for k, v in tree.items()})
    out.attrs["lists"] = tree
    return out


def _prime(coin: Coin, tree: Mapping[str, list[object]]) -> None:
    """Fill the hierarchy views from the metadata lists already at hand (saves re-reading ``meta``)."""
    codes = [str(c) for c in tree["iCode"]]
    levels = [int(v) for v in tree["Level"]]  # type: ignore[call-overload]
    d = coin.__dict__
    d["level_of"] = dict(zip(codes, levels, strict=True))
    d["parent_of"] = dict(zip(codes, tree["Parent"], strict=True))
    d["weights"] = {c: float(w) for c, w in zip(codes, tree["Weight"], strict=True)}  # type: ignore[arg-type]
    d["directions"] = {c: float(x) for c, x, lv in zip(codes, tree["Direction"], levels, strict=True)  # type: ignore[arg-type]
                       if lv == 1}
    d["targets"] = {c: float(t) for c, t in zip(codes, tree["Target"], strict=True)}  # type: ignore[arg-type]


def _check_tree(tree: Mapping[str, list[object]], file: str | None, problems: list[Problem]) -> None:
    codes = [str(c) for c in tree["iCode"]]
    seen: set[str] = set()
    for k, c in enumerate(codes):
        if c in seen:
            problems.append(Problem(f"duplicate code {c!r} in iMeta", file=file, row=k + 1, column="iCode"))
        seen.add(c)
    _check_fields(tree, codes, file, problems)
    if problems:
        return
    level = dict(zip(codes, tree["Level"], strict=True))
    parent = dict(zip(codes, tree["Parent"], strict=True))
    _check_links(codes, level, parent, file, problems)  # type: ignore[arg-type]
    _check_cycles(codes, parent, file, problems)  # type: ignore[arg-type]
    has_child = {p for p in parent.values() if p is not None}
    for i, c in enumerate(codes):
        if level[c] > 1 and c not in has_child:  # type: ignore[operator]
            problems.append(Problem(f"aggregate {c!r} has no children", file=file, row=i + 1, column="iCode"))


def _check_fields(tree: Mapping[str, list[object]], codes: list[str], file: str | None,
                  problems: list[Problem]) -> None:
    levels, types, dirs, weights = tree["Level"], tree["Type"], tree["Direction"], tree["Weight"]
    for i, c in enumerate(codes):
        row, lv = i + 1, levels[i]
        if not isinstance(lv, float) or np.isnan(lv) or lv != int(lv) or lv < 1:
            problems.append(Problem(f"level of {c!r} must be a whole number >= 1", file=file, row=row,
                                    column="Level"))
        if types[i] == "Indicator" and dirs[i] not in (-1, 1):
            problems.append(Problem(f"direction of {c!r} must be 1 or -1, not {dirs[i]!r}", file=file,
                                    row=row, column="Direction"))
        w = weights[i]
        if not isinstance(w, float) or np.isnan(w):
            problems.append(Problem(f"weight of {c!r} is not a number", file=file, row=row, column="Weight"))


def _check_links(codes: list[str], level: Mapping[str, float], parent: Mapping[str, str | None],
                 file: str | None, problems: list[Problem]) -> None:
    top = int(max(level.values()))
    for i, c in enumerate(codes):
        p = parent[c]
        row = i + 1
        if p is None:
            if level[c] != top:
                problems.append(Problem(f"{c!r} (level {int(level[c])}) has no parent: orphan in the hierarchy",
                                        file=file, row=row, column="Parent"))
        elif p not in level:
            problems.append(Problem(f"parent {p!r} of {c!r} is not in the hierarchy: orphan",
                                    file=file, row=row, column="Parent"))
        elif level[p] != level[c] + 1:
            problems.append(Problem(f"parent {p!r} of {c!r} is at level {int(level[p])}, expected "
                                    f"{int(level[c]) + 1}", file=file, row=row, column="Parent"))


def _check_cycles(codes: list[str], parent: Mapping[str, str | None], file: str | None,
                  problems: list[Problem]) -> None:
    reported: set[str] = set()
    for c in codes:
        seen = [c]
        node = parent.get(c)
        while node is not None and node in parent:
            if node in seen:
                cycle = seen[seen.index(node):] + [node]
                key = min(cycle)
                if key not in reported:
                    reported.add(key)
                    problems.append(Problem("cycle in the hierarchy: " + " -> ".join(cycle), file=file,
                                            column="Parent"))
                break
            seen.append(node)
            node = parent.get(node)
