"""``$filter`` expressions compiled to parameterised SQLAlchemy conditions.

Grammar (OGC 18-088 §9.3.3.5, OData 4.01 URL conventions §5.1.1, operator precedence of
OData §5.1.1.15)::

    expr    := and ('or' and)*
    and     := unary ('and' unary)*
    unary   := 'not' unary | compare
    compare := sum (('eq'|'ne'|'gt'|'ge'|'lt'|'le') sum)?
    sum     := product (('add'|'sub') product)*
    product := operand (('mul'|'div'|'mod') operand)*
    operand := '(' expr ')' | '-' operand | literal | function '(' args ')' | path

Literals: 'text' (quotes doubled inside), numbers, true/false/null, ISO 8601 times
(``2020-01-01T00:00:00Z``), dates (``2020-01-01``), times of day (``08:00:00``), intervals
(``2020-01-01T00:00:00Z/2020-01-02T00:00:00Z``) and geometries (``geography'POINT(1 2)'``).
Paths: a property (``result``, ``phenomenonTime``, ``id``), a member of a JSON property
(``properties/station``) or a path through navigation properties (``Datastream/Thing/name``).

Functions (OGC 18-088 Table 12): string ``substringof startswith endswith contains length
indexof substring tolower toupper trim concat``; date ``year month day hour minute second
fractionalseconds date time totaloffsetminutes now mindatetime maxdatetime``; math ``round floor
ceiling``; geospatial ``geo.distance geo.length geo.intersects st_equals st_disjoint st_touches
st_within st_overlaps st_crosses st_intersects st_contains st_relate`` (see
:mod:`zhicheng.sensing.geometry`). Every literal becomes a bound parameter; no text of the
request is ever pasted into SQL.

Times that may be intervals (an Observation's ``phenomenonTime``, a Datastream's
``phenomenonTime`` and ``resultTime``) compare as half-open intervals ``[start, end)``, an instant
being ``[t, t]``: ``eq`` needs equal starts and ends, ``lt`` means wholly before (an interval
ending at ``t`` is before ``t``), ``gt`` wholly after, ``le``/``ge`` are ``lt``/``gt`` or ``eq``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, time
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from zhicheng.sensing import geometry, sqltime
from zhicheng.sensing.errors import bad
from zhicheng.sensing.model import ENTITY_SETS, EntityType, Nav, Prop
from zhicheng.sensing.timefmt import now_micros, parse_instant

_INSTANT = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?"
_TOKEN = re.compile(
    rf"""\s*(?:
      (?P<interval>{_INSTANT}/{_INSTANT})
    | (?P<time>{_INSTANT})
    | (?P<date>\d{{4}}-\d{{2}}-\d{{2}})(?![\dT])
    | (?P<timeofday>\d{{2}}:\d{{2}}(?::\d{{2}}(?:\.\d+)?)?)
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<geo>(?:geography|geometry)'(?:[^']|'')*')
    | (?P<string>'(?:[^']|'')*')
    | (?P<punct>[(),-])
    | (?P<word>[A-Za-z_@$][\w@.$]*(?:/[A-Za-z_@$][\w@.$]*)*)
    )""",
    re.VERBOSE,
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
FLIP = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
STRING_FUNCTIONS = {"tolower", "toupper", "length", "trim"}
PREDICATES = {"substringof", "startswith", "endswith", "contains"}
ADDITIVE = {"add", "sub"}
MULTIPLICATIVE = {"mul", "div", "mod"}
ARITHMETIC = ADDITIVE | MULTIPLICATIVE
DATE_PARTS = {"year", "month", "day", "hour", "minute", "second"}
TIME_KINDS = ("instant", "period", "time")
GEO_FUNCTIONS = {*geometry.RELATIONS, *geometry.MEASURES, "st_relate"}


@dataclass(frozen=True)
class Token:
    """One lexical token and where it starts."""

    kind: str
    text: str
    at: int


def tokenize(text: str) -> list[Token]:
    """Split a ``$filter`` into tokens; an unreadable character is a 400 error."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise bad(
                f"$filter: cannot read {text[pos : pos + 20]!r} at character {pos}", "$filter"
            )
        kind = m.lastgroup or "word"
        tokens.append(Token(kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


@dataclass(frozen=True)
class Literal:
    """A literal value and its kind.

    Kinds: string, number, bool, null, time (µs since epoch), interval ((start, end) µs),
    date (days since epoch), timeofday (µs since midnight), geometry (WKT text).
    """

    value: Any
    kind: str


@dataclass(frozen=True)
class PathRef:
    """A property path, resolved against the entity type when compared."""

    segments: tuple[str, ...]


@dataclass(frozen=True)
class Sql:
    """A computed SQL value (a function result) and its kind."""

    expr: ColumnElement[Any]
    kind: str


@dataclass(frozen=True)
class TimeValue:
    """A time that may be an interval: SQL start and end (end = start for an instant)."""

    start: ColumnElement[Any]
    end: ColumnElement[Any]
    #: True when some row may be an interval (the end may differ from the start).
    interval: bool


Operand = Literal | PathRef | Sql


def _date_days(text: str) -> int:
    try:
        return (date.fromisoformat(text) - date(1970, 1, 1)).days
    except ValueError:
        raise bad(f"$filter: {text!r} is not a date", "$filter") from None


def _time_micros(text: str) -> int:
    try:
        t = time.fromisoformat(text)
    except ValueError:
        raise bad(f"$filter: {text!r} is not a time of day", "$filter") from None
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000 + t.microsecond


def _number(text: str) -> Literal:
    number = float(text)
    exact = (
        number.is_integer() and "." not in text and "e" not in text.lower() and abs(number) < 2**63
    )
    return Literal(int(text) if exact else number, "number")


def _literal(tok: Token) -> Literal | None:
    """The literal a token stands for (None for words and punctuation)."""
    if tok.kind == "string":
        return Literal(tok.text[1:-1].replace("''", "'"), "string")
    if tok.kind == "number":
        return _number(tok.text)
    if tok.kind == "time":
        return Literal(parse_instant(tok.text, "$filter"), "time")
    if tok.kind == "interval":
        first, _, second = tok.text.partition("/")
        lo, hi = parse_instant(first, "$filter"), parse_instant(second, "$filter")
        if hi < lo:
            raise bad(f"$filter: interval {tok.text!r} ends before it starts", "$filter")
        return Literal((lo, hi), "interval")
    if tok.kind == "date":
        return Literal(_date_days(tok.text), "date")
    if tok.kind == "timeofday":
        return Literal(_time_micros(tok.text), "timeofday")
    if tok.kind == "geo":
        body = tok.text[tok.text.index("'") + 1 : -1].replace("''", "'")
        return Literal(geometry.check_wkt(body), "geometry")
    return None


class Parser:
    """Recursive-descent parser producing a SQL condition for one entity type."""

    def __init__(self, text: str, etype: EntityType) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0
        self.etype = etype

    # --- token helpers -------------------------------------------------------------
    def peek(self) -> Token | None:
        """The next token, not consumed."""
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def word(self) -> str | None:
        """The next token's text in lower case when it is a word."""
        tok = self.peek()
        return tok.text.lower() if tok is not None and tok.kind == "word" else None

    def take(self, punct: str | None = None) -> Token:
        """Consume the next token (which must be ``punct`` when given)."""
        tok = self.peek()
        if tok is None:
            expected = f": expected {punct!r}" if punct else ""
            raise bad(f"$filter {self.text!r} ends too early{expected}", "$filter")
        if punct is not None and tok.text != punct:
            raise bad(
                f"$filter: expected {punct!r} at character {tok.at}, found {tok.text!r}", "$filter"
            )
        self.pos += 1
        return tok

    # --- grammar -------------------------------------------------------------------
    def parse(self) -> ColumnElement[bool]:
        """The whole expression as a condition."""
        if not self.tokens:
            raise bad("$filter is empty", "$filter")
        cond = self.expr()
        tok = self.peek()
        if tok is not None:
            raise bad(f"$filter: unexpected {tok.text!r} at character {tok.at}", "$filter")
        return cond

    def expr(self) -> ColumnElement[bool]:
        """``and`` terms joined by ``or``."""
        terms = [self.conj()]
        while self.word() == "or":
            self.take()
            terms.append(self.conj())
        return terms[0] if len(terms) == 1 else sa.or_(*terms)

    def conj(self) -> ColumnElement[bool]:
        """Unary terms joined by ``and``."""
        terms = [self.unary()]
        while self.word() == "and":
            self.take()
            terms.append(self.unary())
        return terms[0] if len(terms) == 1 else sa.and_(*terms)

    def unary(self) -> ColumnElement[bool]:
        """``not`` term, or a comparison."""
        if self.word() == "not":
            self.take()
            return sa.not_(self.unary())
        return self.compare()

    def compare(self) -> ColumnElement[bool]:
        """A comparison, a parenthesised condition or a boolean function."""
        left = self.sum()
        op = self.word()
        if op not in COMPARISONS:
            if isinstance(left, Sql) and left.kind == "bool":
                return left.expr
            found = self.peek()
            what = repr(found.text) if found else "the end"
            raise bad(
                f"$filter: expected a comparison (eq, ne, gt, ge, lt, le), found {what}", "$filter"
            )
        self.take()
        right = self.sum()
        return compare(self.etype, left, str(op), right)

    def sum(self) -> Operand:
        """Products joined by ``add`` and ``sub``."""
        left = self.product()
        while self.word() in ADDITIVE:
            op = str(self.word())
            self.take()
            left = arithmetic(self.etype, left, op, self.product())
        return left

    def product(self) -> Operand:
        """Operands joined by ``mul``, ``div`` and ``mod``."""
        left = self.operand()
        while self.word() in MULTIPLICATIVE:
            op = str(self.word())
            self.take()
            left = arithmetic(self.etype, left, op, self.operand())
        return left

    def operand(self) -> Operand:
        """A parenthesised expression, a literal, a function call or a property path."""
        tok = self.take()
        if tok.text == "(":
            inner = self._group()
            self.take(")")
            return inner
        if tok.text == "-":
            value = self.operand()
            if isinstance(value, Literal) and value.kind == "number":
                return Literal(-value.value, "number")
            return Sql(-as_sql(self.etype, value, "number"), "number")
        lit = _literal(tok)
        if lit is not None:
            return lit
        if tok.kind == "punct":
            raise bad(f"$filter: unexpected {tok.text!r} at character {tok.at}", "$filter")
        low = tok.text.lower()
        if low in ("true", "false"):
            return Literal(low == "true", "bool")
        if low == "null":
            return Literal(None, "null")
        nxt = self.peek()
        if nxt is not None and nxt.text == "(":
            return self.function(low, tok)
        return PathRef(tuple(tok.text.split("/")))

    def _group(self) -> Operand:
        """Inside parentheses: a value (``(result add 1)``) or a condition (``(a or b)``)."""
        start = self.pos
        try:
            value = self.sum()
            if self.peek() is not None and self.peek().text == ")":  # type: ignore[union-attr]
                return value
        except Exception:  # noqa: BLE001 - not a value: read it again as a condition
            pass
        self.pos = start
        return Sql(self.expr(), "bool")

    def function(self, name: str, tok: Token) -> Operand:
        """A function call (OGC 18-088 Table 12)."""
        self.take("(")
        args: list[Operand] = []
        if self.peek() is not None and self.peek().text != ")":  # type: ignore[union-attr]
            args.append(self.sum())
            while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.take()
                args.append(self.sum())
        self.take(")")
        return call_function(self.etype, name, tok.text, args)


def _arity(name: str, args: list[Operand], *counts: int) -> None:
    if len(args) not in counts:
        want = " or ".join(str(c) for c in counts)
        raise bad(f"$filter: {name}() takes {want} argument(s)", "$filter")


def call_function(etype: EntityType, name: str, raw: str, args: list[Operand]) -> Operand:
    """The value of function ``name`` applied to ``args``."""
    if name in PREDICATES:
        return Sql(predicate(etype, name, args), "bool")
    if name in STRING_FUNCTIONS or name in ("concat", "indexof", "substring"):
        return string_function(etype, name, args)
    if name in DATE_PARTS or name in (
        "fractionalseconds",
        "date",
        "time",
        "totaloffsetminutes",
        "now",
        "mindatetime",
        "maxdatetime",
    ):
        return date_function(etype, name, args)
    if name in ("round", "floor", "ceiling"):
        _arity(name, args, 1)
        value = as_sql(etype, args[0], "number")
        return Sql(sqltime.rounded(name, value), "number")
    if name in GEO_FUNCTIONS:
        return geo_function(etype, name, args)
    raise bad(f"$filter: function {raw!r} is not supported", "$filter")


def string_function(etype: EntityType, name: str, args: list[Operand]) -> Operand:
    """``length tolower toupper trim concat indexof substring`` (OData §5.1.1.5)."""
    if name in STRING_FUNCTIONS:
        _arity(name, args, 1)
        expr = as_sql(etype, args[0], "string")
        func = {
            "tolower": sa.func.lower,
            "toupper": sa.func.upper,
            "length": sa.func.length,
            "trim": sa.func.trim,
        }[name]
        return Sql(func(expr), "number" if name == "length" else "string")
    if name == "concat":
        _arity(name, args, 2)
        x, y = (sa.cast(as_sql(etype, v, "string"), sa.Text) for v in args)
        return Sql(sa.func.coalesce(x, "").concat(sa.func.coalesce(y, "")), "string")
    if name == "indexof":
        _arity(name, args, 2)
        hay, needle = (as_sql(etype, v, "string") for v in args)
        return Sql(sqltime.IndexOf(hay, needle), "number")
    _arity(name, args, 2, 3)
    text = as_sql(etype, args[0], "string")
    start = as_sql(etype, args[1], "number") + 1
    if len(args) == 3:
        return Sql(sa.func.substr(text, start, as_sql(etype, args[2], "number")), "string")
    return Sql(sa.func.substr(text, start), "string")


def _time_arg(etype: EntityType, name: str, args: list[Operand]) -> TimeValue:
    _arity(name, args, 1)
    value = time_value(etype, args[0])
    if value is None:
        raise bad(f"$filter: {name}() needs a time, e.g. {name}(phenomenonTime)", "$filter")
    return value


def date_function(etype: EntityType, name: str, args: list[Operand]) -> Operand:
    """Date and time functions on times stored as µs since the epoch (UTC), OData §5.1.1.8."""
    if name == "now":
        _arity(name, args, 0)
        return Literal(now_micros(), "time")
    if name in ("mindatetime", "maxdatetime") and not args:
        return Literal(sqltime.MIN_MICROS if name == "mindatetime" else sqltime.MAX_MICROS, "time")
    value = _time_arg(etype, name, args)
    if name == "mindatetime":
        return Sql(value.start, "time")
    if name == "maxdatetime":
        return Sql(value.end, "time")
    if name == "totaloffsetminutes":
        return Sql(sa.literal(0) + value.start * 0, "number")  # stored and answered in UTC
    if name == "date":
        return Sql(sqltime.DayNumber(value.start), "date")
    if name == "time":
        return Sql(sqltime.TimeOfDay(value.start), "timeofday")
    if name == "fractionalseconds":
        return Sql(sqltime.FractionalSeconds(value.start), "number")
    return Sql(sqltime.date_part(name, value.start), "number")


def geo_function(etype: EntityType, name: str, args: list[Operand]) -> Operand:
    """Geospatial functions (OGC 18-088 Table 12) by PostGIS or GEOS.

    A relation on a geometry behind a to-many navigation property (``st_within(Locations/location,
    …)`` on Things) holds when it holds for at least one related entity.
    """
    for i, arg in enumerate(args):
        nav = etype.nav(arg.segments[0]) if isinstance(arg, PathRef) else None
        if nav is not None and nav.many and name not in geometry.MEASURES:
            assert isinstance(arg, PathRef)
            target = ENTITY_SETS[nav.target]
            inner = [*args[:i], PathRef(arg.segments[1:]), *args[i + 1 :]]
            cond = geo_function(target, name, inner)
            assert isinstance(cond, Sql)
            return Sql(related(etype, nav, target, cond.expr), "bool")
    parts: list[ColumnElement[Any]] = []
    for i, arg in enumerate(args):
        if name == "st_relate" and i == 2:
            if not isinstance(arg, Literal) or arg.kind != "string":
                raise bad("$filter: st_relate() takes a DE-9IM pattern text, e.g. 'T********'")
            if not re.fullmatch(r"[TF*012]{9}", str(arg.value)):
                raise bad(f"$filter: {arg.value!r} is not a DE-9IM pattern", "$filter")
            parts.append(sa.literal(str(arg.value), sa.Text))
        elif isinstance(arg, Literal) and arg.kind == "geometry":
            parts.append(geometry.literal(str(arg.value)))
        elif isinstance(arg, PathRef):
            parts.append(geometry.stored(_geometry_column(etype, arg)))
        else:
            raise bad(f"$filter: {name}() compares geometries (a property or geography'…')")
    kind = "number" if name in geometry.MEASURES else "bool"
    return Sql(geometry.call(name, parts), kind)


def _geometry_column(etype: EntityType, path: PathRef) -> ColumnElement[Any]:
    """A GeoJSON property (``location``, ``feature``, ``observedArea``), perhaps behind to-one links."""
    head, rest = path.segments[0], path.segments[1:]
    nav = etype.nav(head)
    if nav is not None and not nav.many and rest:
        target = ENTITY_SETS[nav.target]
        inner = _geometry_column(target, PathRef(rest))
        return _to_one_value(etype, nav, target, inner)
    prop = etype.prop(head)
    if prop is None or prop.kind != "json" or rest:
        raise bad(f"$filter: {'/'.join(path.segments)} is not a geometry of {etype.name}", "$filter")
    return etype.table.c[prop.column]


def _to_one_value(
    etype: EntityType, nav: Nav, target: EntityType, inner: ColumnElement[Any]
) -> ColumnElement[Any]:
    """A value of the entity behind a to-one link, as a correlated scalar subquery."""
    assert nav.fk is not None
    sub = (
        sa.select(inner)
        .where(target.table.c.id == etype.table.c[nav.fk])
        .correlate(etype.table)
        .limit(1)
    )
    return sub.scalar_subquery()


def arithmetic(etype: EntityType, left: Operand, op: str, right: Operand) -> Operand:
    """``left add|sub|mul|div|mod right`` on numbers (OData §5.1.1.2); ``div`` is exact."""
    a = sa.cast(as_sql(etype, left, "number"), sa.Float)
    b = as_sql(etype, right, "number")
    if op == "add":
        return Sql(a + b, "number")
    if op == "sub":
        return Sql(a - b, "number")
    if op == "mul":
        return Sql(a * b, "number")
    if op == "div":
        return Sql(a / sa.func.nullif(b, 0), "number")
    return Sql(sqltime.Modulo(a, b), "number")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def predicate(etype: EntityType, name: str, args: list[Operand]) -> ColumnElement[bool]:
    """``substringof(needle, path)``, ``contains|startswith|endswith(path, needle)`` as LIKE."""
    if len(args) != 2:
        raise bad(f"$filter: {name}() takes two arguments", "$filter")
    haystack, needle = (args[1], args[0]) if name == "substringof" else (args[0], args[1])
    if not isinstance(needle, Literal) or needle.kind != "string":
        raise bad(f"$filter: {name}() needs a text literal to look for", "$filter")
    pattern = _like_escape(str(needle.value))
    if name in ("substringof", "contains"):
        pattern = f"%{pattern}%"
    elif name == "startswith":
        pattern = f"{pattern}%"
    else:
        pattern = f"%{pattern}"
    if isinstance(haystack, PathRef) and _to_many(etype, haystack):
        return through_nav(
            etype,
            haystack,
            lambda target, path: predicate(
                target, name, [path, needle] if name != "substringof" else [needle, path]
            ),
        )
    expr = as_sql(etype, haystack, "string")
    return expr.like(sa.literal(pattern), escape="\\")


def _to_many(etype: EntityType, path: PathRef) -> bool:
    """True when the path starts with a navigation property (a condition on related rows)."""
    if len(path.segments) < 2 and path.segments[0] in {n.name for n in etype.navs}:
        raise bad(
            f"$filter: {path.segments[0]} is a navigation property; name one of its properties",
            "$filter",
        )
    return path.segments[0] in {n.name for n in etype.navs}


def through_nav(etype: EntityType, path: PathRef, inner: Any) -> ColumnElement[bool]:
    """A condition on a related entity: ``inner(target_type, rest_of_path)`` in a subquery."""
    nav = etype.nav(path.segments[0])
    assert nav is not None
    if len(path.segments) < 2:
        raise bad(
            f"$filter: {nav.name} is a navigation property; name one of its properties", "$filter"
        )
    target = ENTITY_SETS[nav.target]
    cond = inner(target, PathRef(path.segments[1:]))
    return related(etype, nav, target, cond)


def related(
    etype: EntityType, nav: Nav, target: EntityType, cond: ColumnElement[bool]
) -> ColumnElement[bool]:
    """Rows of ``etype`` with at least one entity behind ``nav`` meeting ``cond``."""
    here, there = etype.table, target.table
    if nav.fk is not None:
        return here.c[nav.fk].in_(sa.select(there.c.id).where(cond))
    if nav.back_fk is not None:
        return here.c.id.in_(sa.select(there.c[nav.back_fk]).where(cond))
    assert nav.link is not None and nav.link_here and nav.link_there
    link = nav.link
    sub = (
        sa.select(link.c[nav.link_here])
        .join(there, there.c.id == link.c[nav.link_there])
        .where(cond)
    )
    return here.c.id.in_(sub)


def _json_member(column: sa.Column[Any], members: tuple[str, ...], kind: str) -> ColumnElement[Any]:
    element = column[members[0]] if len(members) == 1 else column[members]
    if kind == "number":
        return element.as_float()
    if kind == "bool":
        return element.as_boolean()
    return element.as_string()


def resolve(etype: EntityType, path: PathRef, kind: str) -> ColumnElement[Any]:
    """The SQL value of a property path of ``etype`` compared with a value of ``kind``.

    A path through to-one navigation properties (``Datastream/name``) is a correlated scalar
    subquery; one through a to-many property has no single value (compare it instead).
    """
    head, rest = path.segments[0], path.segments[1:]
    table = etype.table
    if head in ("id", "@iot.id"):
        if rest:
            raise bad("$filter: id has no members", "$filter")
        return table.c.id
    nav = etype.nav(head)
    if nav is not None:
        if not rest:
            raise bad(
                f"$filter: {nav.name} is a navigation property; name one of its properties",
                "$filter",
            )
        if nav.many:
            raise bad(
                f"{nav.name} holds many entities; a value of it has no single order or value",
                "$filter",
            )
        target = ENTITY_SETS[nav.target]
        return _to_one_value(etype, nav, target, resolve(target, PathRef(rest), kind))
    prop = etype.prop(head)
    if prop is None:
        known = ", ".join(["id", *(p.name for p in etype.props), *(n.name for n in etype.navs)])
        raise bad(f"$filter: {etype.name} has no property {head!r}; it has {known}", "$filter")
    return _prop_value(prop, table, rest, kind)


def _prop_value(
    prop: Prop, table: sa.Table, rest: tuple[str, ...], kind: str
) -> ColumnElement[Any]:
    column = table.c[prop.column]
    if prop.kind == "result":
        if rest:
            return _json_member(table.c.result_json, rest, kind)
        if kind in ("number", "null"):
            return table.c.result_number
        # Text and boolean results are compared as their JSON text (see :func:`compare`).
        return sa.cast(table.c.result_json, sa.Text)
    if prop.kind in ("object", "json", "any"):
        if not rest:
            if kind == "null":
                return column
            raise bad(f"$filter: compare a member of {prop.name}, e.g. {prop.name}/name", "$filter")
        return _json_member(column, rest, kind)
    if rest:
        raise bad(f"$filter: {prop.name} has no members", "$filter")
    return column


def time_value(etype: EntityType, operand: Operand) -> TimeValue | None:
    """A time property (or time literal) as start and end; None when it is no time."""
    if isinstance(operand, Literal):
        if operand.kind == "time":
            v = sa.literal(operand.value, sa.BigInteger)
            return TimeValue(v, v, False)
        if operand.kind == "interval":
            lo, hi = operand.value
            return TimeValue(
                sa.literal(lo, sa.BigInteger), sa.literal(hi, sa.BigInteger), lo != hi
            )
        return None
    if isinstance(operand, Sql):
        return TimeValue(operand.expr, operand.expr, False) if operand.kind == "time" else None
    head, rest = operand.segments[0], operand.segments[1:]
    nav = etype.nav(head)
    if nav is not None and not nav.many and rest:
        target = ENTITY_SETS[nav.target]
        inner = time_value(target, PathRef(rest))
        if inner is None:
            return None
        return TimeValue(
            _to_one_value(etype, nav, target, inner.start),
            _to_one_value(etype, nav, target, inner.end),
            inner.interval,
        )
    prop = etype.prop(head)
    if prop is None or prop.kind not in TIME_KINDS or rest:
        return None
    start = etype.table.c[prop.column]
    if prop.end_column is None:
        return TimeValue(start, start, False)
    end = etype.table.c[prop.end_column]
    return TimeValue(start, sa.func.coalesce(end, start), True)


def compare_times(a: TimeValue, op: str, b: TimeValue) -> ColumnElement[bool]:
    """``a op b`` for times that may be half-open intervals ``[start, end)`` (module docstring).

    Each condition also bounds ``a.start`` alone, so an index on the start column narrows it.
    """
    if not (a.interval or b.interval):
        return _OPS[op](a.start, b.start)
    eq = sa.and_(a.start == b.start, a.end == b.end)
    # a wholly before b: it ends before b starts, or it is an interval [s, t) ending where b
    # starts (t itself is not in it).
    before = sa.or_(a.end < b.start, sa.and_(a.end == b.start, a.start < a.end))
    after = sa.or_(b.end < a.start, sa.and_(b.end == a.start, b.start < b.end))
    if op == "eq":
        return eq
    if op == "ne":
        return sa.not_(eq)
    if op == "lt":
        return sa.and_(a.start <= b.start, before)
    if op == "le":
        return sa.and_(a.start <= b.start, sa.or_(before, eq))
    if op == "gt":
        return sa.and_(a.start >= b.start, after)
    return sa.and_(a.start >= b.start, sa.or_(after, eq))


def _literal_for(etype: EntityType, path: PathRef, lit: Literal) -> Literal:
    """Turn a quoted time into a time when the property holds times."""
    prop = etype.prop(path.segments[0])
    if prop is not None and prop.kind in TIME_KINDS and lit.kind == "string":
        if "/" in str(lit.value):
            first, _, second = str(lit.value).partition("/")
            return Literal((parse_instant(first, "$filter"), parse_instant(second, "$filter")), "interval")
        return Literal(parse_instant(lit.value, "$filter"), "time")
    if (
        prop is not None
        and prop.kind in TIME_KINDS
        and lit.kind not in ("time", "interval", "null")
    ):
        raise bad(f"$filter: {prop.name} is a time; compare it with an ISO 8601 time", "$filter")
    return lit


def as_sql(etype: EntityType, operand: Operand, kind: str) -> ColumnElement[Any]:
    """Any operand as a SQL value (paths resolved for ``kind``)."""
    if isinstance(operand, Sql):
        return operand.expr
    if isinstance(operand, Literal):
        if operand.kind == "interval":
            return sa.literal(operand.value[0])
        return sa.literal(operand.value)
    return resolve(etype, operand, kind)


_OPS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def compare(etype: EntityType, left: Operand, op: str, right: Operand) -> ColumnElement[bool]:
    """``left op right`` as a condition; a path is resolved for the other side's kind."""
    if isinstance(left, Literal) and not isinstance(right, Literal):
        left, right, op = right, left, FLIP[op]
    if isinstance(left, PathRef) and _to_many(etype, left):
        # Through navigation properties as IN (subquery): the foreign key's index serves it.
        return through_nav(etype, left, lambda target, path: compare(target, path, op, right))
    if isinstance(left, PathRef) and isinstance(right, Literal):
        right = _literal_for(etype, left, right)
    times = _compare_as_times(etype, left, right, op)
    if times is not None:
        return times
    if isinstance(left, PathRef) and isinstance(right, Literal):
        column = resolve(etype, left, right.kind)
        if left.segments[-1:] == ("result",) and right.kind in ("string", "bool"):
            right = Literal(json.dumps(right.value), "string")
        if right.kind == "null":
            return column.is_(None) if op == "eq" else column.is_not(None)
        return _OPS[op](column, sa.literal(right.value))
    kind = (
        left.kind
        if isinstance(left, Sql | Literal)
        else right.kind
        if isinstance(right, Sql | Literal)
        else "number"
    )
    if isinstance(right, Literal) and right.kind == "null":
        column = as_sql(etype, left, "null")
        return column.is_(None) if op == "eq" else column.is_not(None)
    return _OPS[op](as_sql(etype, left, kind), as_sql(etype, right, kind))


def _compare_as_times(
    etype: EntityType, left: Operand, right: Operand, op: str
) -> ColumnElement[bool] | None:
    """The comparison with interval semantics, when both sides are times."""
    if isinstance(right, Literal) and right.kind == "null":
        return None
    a = time_value(etype, left)
    b = time_value(etype, right)
    if a is None or b is None:
        return None
    return compare_times(a, op, b)


def compile_filter(etype: EntityType, text: str) -> ColumnElement[bool]:
    """The SQL condition of ``$filter`` text for rows of ``etype``; 400 on any error."""
    return Parser(text, etype).parse()
