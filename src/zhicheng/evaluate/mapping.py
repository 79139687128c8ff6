"""Mapping files: how an outside table's columns become indicator values (or units).

A mapping is a YAML file. For indicator values::

    kind: values
    layout: wide                  # wide: one column per series; long: unit, indicator, period, value
    encoding: utf-8-sig           # optional; UTF-8 is required when none is declared
    unit: {column: 城市代码, by: code, recode: {"110000": "110100"}, unknown: skip}
    period: {column: 年份}         # or {value: "2020"}, or {values: [2010, 2020]} with {period} in names
    columns:                      # raw series read from the file, each with an optional conversion
      gdp: {column: 地区生产总值(万元), convert: 万元->元}
      pop: {column: 常住人口(万人), convert: 万人->人}
    store_inputs:                 # series read from the store for the same unit and period
      pop_store: den.population
    indicators:                   # indicator id -> one raw series or an arithmetic expression
      D4.R1.I1: {expr: gdp / pop}
      den.population: {from: pop}
    suspicious: {repeat_share: 0.1, min_units: 5, action: exclude}

Indicator ids starting with ``den.`` are denominators (COINr's term): stored for later derivations,
never scored. For units (``kind: units``) the mapping names the code, name, parent and boundary
columns; see :class:`UnitsMapping`.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from zhicheng.errors import Problem

#: Prefix of denominator series: stored, used in derivations, never scored.
DENOMINATOR_PREFIX = "den."


class Conversion(BaseModel):
    """A named unit conversion: multiply by ``factor`` to go from ``source`` to ``target`` units."""

    model_config = ConfigDict(frozen=True)

    factor: float
    source: str
    target: str


def _conv(factor: float, source: str, target: str) -> Conversion:
    return Conversion(factor=factor, source=source, target=target)


#: Conversions a mapping may name (``convert: 万元->元``); ``scale: <number>`` covers the rest.
CONVERSIONS: dict[str, Conversion] = {
    "万元->元": _conv(1e4, "万元", "元"),
    "亿元->元": _conv(1e8, "亿元", "元"),
    "亿元->万元": _conv(1e4, "亿元", "万元"),
    "万元->亿元": _conv(1e-4, "万元", "亿元"),
    "千元->元": _conv(1e3, "千元", "元"),
    "百万元->元": _conv(1e6, "百万元", "元"),
    "百万元->万元": _conv(1e2, "百万元", "万元"),
    "万人->人": _conv(1e4, "万人", "人"),
    "千人->人": _conv(1e3, "千人", "人"),
    "万户->户": _conv(1e4, "万户", "户"),
    "fraction->%": _conv(100.0, "fraction", "%"),
    "%->fraction": _conv(0.01, "%", "fraction"),
    "‰->%": _conv(0.1, "‰", "%"),
    "Mt->t": _conv(1e6, "Mt", "t"),
    "kt->t": _conv(1e3, "kt", "t"),
    "万吨->t": _conv(1e4, "万吨", "t"),
    "t->kt": _conv(1e-3, "t", "kt"),
    "hm2->km2": _conv(0.01, "hm2", "km2"),
    "min->h": _conv(1 / 60, "min", "h"),
    "d->h": _conv(24.0, "d", "h"),
}
#: Units the conversions speak of; an indicator in one of these must match a direct conversion.
KNOWN_UNITS = {c.target for c in CONVERSIONS.values()} | {c.source for c in CONVERSIONS.values()}


class _Strict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ColumnSpec(_Strict):
    """One raw series: a file column (``{period}`` is replaced per period) and its conversion."""

    column: str
    convert: str | None = None
    scale: float | None = None

    @field_validator("convert")
    @classmethod
    def _known_conversion(cls, value: str | None) -> str | None:
        if value is not None and value not in CONVERSIONS:
            raise ValueError(f"unknown unit conversion {value!r}; known: {', '.join(CONVERSIONS)}")
        return value

    def factor(self) -> float:
        """The multiplier this column's values get."""
        factor = CONVERSIONS[self.convert].factor if self.convert else 1.0
        return factor * (self.scale if self.scale is not None else 1.0)


class IndicatorSpec(_Strict):
    """How one indicator is obtained: one raw series (``from``) or an expression over several."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    source: str | None = Field(default=None, alias="from")
    expr: str | None = None
    convert: str | None = None
    scale: float | None = None

    @model_validator(mode="after")
    def _one_of(self) -> IndicatorSpec:
        if (self.source is None) == (self.expr is None):
            raise ValueError("give exactly one of `from` (a column name) or `expr` (an expression)")
        if self.expr is not None:
            expression_names(self.expr)
        if self.convert is not None and self.convert not in CONVERSIONS:
            raise ValueError(f"unknown unit conversion {self.convert!r}; known: {', '.join(CONVERSIONS)}")
        return self

    def factor(self) -> float:
        """The multiplier applied after the series or expression is computed."""
        factor = CONVERSIONS[self.convert].factor if self.convert else 1.0
        return factor * (self.scale if self.scale is not None else 1.0)


class UnitSpec(_Strict):
    """How a row names its unit: by code or by Chinese name, with recoding of outside codes."""

    column: str = "unit"
    by: Literal["code", "name"] = "code"
    #: Only units of this level are matched (e.g. ``city``, so 北京市 the city, not the province).
    level: str | None = None
    recode: dict[str, str] = Field(default_factory=dict)
    #: ``error``: unknown units are problems; ``skip``: their rows are left out and reported.
    unknown: Literal["error", "skip"] = "error"

    @field_validator("recode", mode="before")
    @classmethod
    def _text_codes(cls, value: Any) -> Any:
        return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else value


class PeriodSpec(_Strict):
    """Where the period comes from: a column, one value for the whole file, or column names."""

    column: str | None = None
    value: str | None = None
    values: list[str] | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value)

    @field_validator("values", mode="before")
    @classmethod
    def _texts(cls, value: Any) -> Any:
        return None if value is None else [str(v) for v in value]

    @model_validator(mode="after")
    def _one_of(self) -> PeriodSpec:
        if sum(x is not None for x in (self.column, self.value, self.values)) != 1:
            raise ValueError("give exactly one of `column`, `value` or `values`")
        return self


class SuspiciousSpec(_Strict):
    """When one value repeated across many units in a period is suspicious, and what to do."""

    repeat_share: Annotated[float, Field(gt=0, le=1)] = 0.1
    min_units: Annotated[int, Field(ge=2)] = 5
    #: ``error`` rejects the file; ``exclude`` drops the repeated values and reports them.
    action: Literal["error", "exclude"] = "error"


class ValuesMapping(_Strict):
    """A mapping for indicator values (see the module docstring)."""

    kind: Literal["values"] = "values"
    layout: Literal["wide", "long"] = "wide"
    encoding: str | None = None
    sheet: str | None = None
    unit: UnitSpec = Field(default_factory=UnitSpec)
    period: PeriodSpec = Field(default_factory=lambda: PeriodSpec(column="period"))
    indicator_column: str = "indicator"
    value_column: str = "value"
    columns: dict[str, ColumnSpec] = Field(default_factory=dict)
    store_inputs: dict[str, str] = Field(default_factory=dict)
    indicators: dict[str, IndicatorSpec] = Field(default_factory=dict)
    suspicious: SuspiciousSpec = Field(default_factory=SuspiciousSpec)
    #: ``error`` rejects a file with values outside an indicator's plausible range; ``exclude``
    #: drops those values and reports each one.
    out_of_range: Literal["error", "exclude"] = "error"
    #: Strings that mean "no value" in the file (yearbooks use dashes and ellipses).
    missing: list[str] = Field(default_factory=lambda: ["", "NA", "N/A", "nan", "NaN", "-", "—", "--", "…", "..."])

    @model_validator(mode="after")
    def _names_resolve(self) -> ValuesMapping:
        known = set(self.columns) | set(self.store_inputs)
        bad: list[str] = []
        for ind, spec in self.indicators.items():
            names = {spec.source} if spec.source else expression_names(spec.expr or "")
            # In the long layout `from` names an outside indicator name, not a declared column.
            if self.layout == "long" and spec.source:
                continue
            bad += [f"{ind}: {n!r}" for n in sorted(names - known)]
        if bad:
            raise ValueError("names not declared under `columns` or `store_inputs`: " + ", ".join(bad))
        return self


class UnitsMapping(_Strict):
    """A mapping for units: which columns hold code, names, parent, group and boundary."""

    kind: Literal["units"]
    encoding: str | None = None
    sheet: str | None = None
    level: str = "city"
    code: str = "code"
    name_zh: str = "name_zh"
    name_en: str | None = None
    parent_code: str | None = None
    group: str | None = None
    #: Column with the boundary as WKT or GeoJSON geometry text.
    boundary: str | None = None
    #: Parents created from the same file (e.g. provinces): their code and name columns and level.
    parent_name_zh: str | None = None
    parent_level: str = "province"
    #: Outside codes replaced by store codes (both for units and parents).
    recode: dict[str, str] = Field(default_factory=dict)


Mapping = ValuesMapping | UnitsMapping


_ALLOWED = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Name, ast.Load, ast.Constant,
            ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.USub, ast.UAdd)


def expression_names(expr: str) -> set[str]:
    """The series names an arithmetic expression uses; anything but + - * / ** and numbers is refused."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise ValueError(f"expression {expr!r} is not valid: {exc.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED):
            raise ValueError(f"expression {expr!r} may use only names, numbers and + - * / **")
        if isinstance(node, ast.Constant) and not isinstance(node.value, int | float):
            raise ValueError(f"expression {expr!r} may use only numbers as constants")
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


def _line_of(node: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The YAML line (1-based) of the key path ``loc``, as far down as it exists."""
    line = node.start_mark.line + 1 if node is not None else None
    for key in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == str(key)), None)
            key_node = next((k for k, _ in node.value if k.value == str(key)), None)
            if match is None:
                return line
            line = (key_node or match).start_mark.line + 1
            node = match
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def _problems_from(exc: ValidationError, root: yaml.Node | None, name: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = tuple(x for x in err["loc"] if not (isinstance(x, str) and x.startswith("function-")))
        # Union members appear in the path; drop their tags.
        loc = tuple(x for x in loc if x not in {"ValuesMapping", "UnitsMapping"})
        msg = err["msg"].removeprefix("Value error, ")
        where = ".".join(str(x) for x in loc)
        problems.append(Problem(f"{where}: {msg}" if where else msg, name, _line_of(root, loc)))
    return problems


def parse_mapping(text: str, name: str) -> tuple[Mapping, list[Problem]]:
    """Parse mapping ``text``; problems (with YAML line numbers) are returned, not raised."""
    try:
        root = yaml.compose(text)
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        return ValuesMapping(), [Problem(f"unreadable YAML: {getattr(exc, 'problem', exc)}", name, line)]
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        return ValuesMapping(), [Problem("a mapping file must be a YAML mapping (key: value)", name, 1)]
    model: type[ValuesMapping] | type[UnitsMapping] = UnitsMapping if doc.get("kind") == "units" else ValuesMapping
    try:
        return model.model_validate(doc), []
    except ValidationError as exc:
        return ValuesMapping(), _problems_from(exc, root, name)


def load_mapping(path: Path) -> tuple[Mapping, bytes, list[Problem]]:
    """Read the mapping file at ``path``: the model, its bytes (for checksums) and any problems."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return ValuesMapping(), raw, [Problem(f"bad encoding: byte {exc.start} is not UTF-8", str(path))]
    mapping, problems = parse_mapping(text, str(path))
    return mapping, raw, problems


def checksum(*parts: bytes) -> str:
    """SHA-256 over the data file and its mapping: the same pair is recognised on re-ingest."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(hashlib.sha256(part).digest())
    return digest.hexdigest()
