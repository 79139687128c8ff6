"""``$filter`` expressions compiled to parameterised SQLAlchemy conditions.

Grammar (OGC 18-088 §9.3.3.5.1, a subset of OData 4.0 URL conventions §5.1.1)::

    expr    := and ('or' and)*
    and     := unary ('and' unary)*
    unary   := 'not' unary | compare
    compare := operand (('eq'|'ne'|'gt'|'ge'|'lt'|'le') operand)?
    operand := '(' expr ')' | literal | function '(' args ')' | path

Literals: 'text' (quotes doubled inside), numbers, true/false/null and ISO 8601 times
(``2020-01-01T00:00:00Z``). Paths: a property (``result``, ``phenomenonTime``, ``id``), a
member of a JSON property (``properties/station``) or a path through a navigation property
(``Datastream/id``, ``Thing/properties/kind``). Functions: ``substringof``, ``startswith``,
``endswith``, ``contains``, ``tolower``, ``toupper``, ``length``. Every literal becomes a bound
parameter; no text of the request is ever pasted into SQL.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from zhicheng.sensing.errors import bad
from zhicheng.sensing.model import ENTITY_SETS, EntityType, Nav, Prop
from zhicheng.sensing.timefmt import parse_instant

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<time>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})?)
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
    | (?P<string>'(?:[^']|'')*')
    | (?P<punct>[(),])
    | (?P<word>[A-Za-z_@$][\w@.$]*(?:/[A-Za-z_@$][\w@.$]*)*)
    )""",
    re.VERBOSE,
)
COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}
FLIP = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
STRING_FUNCTIONS = {"tolower", "toupper", "length", "trim"}
PREDICATES = {"substringof", "startswith", "endswith", "contains"}
ARITHMETIC = {"add", "sub", "mul", "div", "mod"}


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
    """A literal value and its kind: string, number, bool, null or time (µs since epoch)."""

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


Operand = Literal | PathRef | Sql


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
        """A comparison, a parenthesised expression or a boolean function."""
        tok = self.peek()
        if tok is not None and tok.text == "(":
            self.take()
            inner = self.expr()
            self.take(")")
            return inner
        left = self.operand()
        op = self.word()
        if op in ARITHMETIC:
            raise bad(f"$filter: arithmetic operator {op!r} is not supported", "$filter")
        if op not in COMPARISONS:
            if isinstance(left, Sql) and left.kind == "bool":
                return left.expr
            found = self.peek()
            what = repr(found.text) if found else "the end"
            raise bad(
                f"$filter: expected a comparison (eq, ne, gt, ge, lt, le), found {what}", "$filter"
            )
        self.take()
        right = self.operand()
        return compare(self.etype, left, str(op), right)

    def operand(self) -> Operand:
        """A literal, a function call or a property path."""
        tok = self.take()
        if tok.kind == "string":
            return Literal(tok.text[1:-1].replace("''", "'"), "string")
        if tok.kind == "number":
            number = float(tok.text)
            exact = (
                number.is_integer()
                and "." not in tok.text
                and "e" not in tok.text.lower()
                and abs(number) < 2**63
            )
            return Literal(int(tok.text) if exact else number, "number")
        if tok.kind == "time":
            return Literal(parse_instant(tok.text, "$filter"), "time")
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

    def function(self, name: str, tok: Token) -> Operand:
        """A function call: string predicates and string functions."""
        self.take("(")
        args = [self.operand()]
        while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
            self.take()
            args.append(self.operand())
        self.take(")")
        if name in PREDICATES:
            return Sql(predicate(self.etype, name, args), "bool")
        if name in STRING_FUNCTIONS:
            if len(args) != 1:
                raise bad(f"$filter: {name}() takes one argument", "$filter")
            expr = as_sql(self.etype, args[0], "string")
            func = {
                "tolower": sa.func.lower,
                "toupper": sa.func.upper,
                "length": sa.func.length,
                "trim": sa.func.trim,
            }[name]
            return Sql(func(expr), "number" if name == "length" else "string")
        raise bad(f"$filter: function {tok.text!r} is not supported", "$filter")


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
    if isinstance(haystack, PathRef) and haystack.segments[0] in {n.name for n in etype.navs}:
        return through_nav(
            etype,
            haystack,
            lambda target, path: predicate(
                target, name, [path, needle] if name != "substringof" else [needle, path]
            ),
        )
    expr = as_sql(etype, haystack, "string")
    return expr.like(sa.literal(pattern), escape="\\")


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
    """The SQL value of a property path of ``etype`` compared with a value of ``kind``."""
    head, rest = path.segments[0], path.segments[1:]
    table = etype.table
    if head in ("id", "@iot.id"):
        if rest:
            raise bad("$filter: id has no members", "$filter")
        return table.c.id
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


def _literal_for(etype: EntityType, path: PathRef, lit: Literal) -> Literal:
    """Turn a quoted time into a time when the property holds times."""
    prop = etype.prop(path.segments[0])
    if prop is not None and prop.kind in ("instant", "period", "time") and lit.kind == "string":
        return Literal(parse_instant(lit.value, "$filter"), "time")
    if (
        prop is not None
        and prop.kind in ("instant", "period", "time")
        and lit.kind not in ("time", "null")
    ):
        raise bad(f"$filter: {prop.name} is a time; compare it with an ISO 8601 time", "$filter")
    return lit


def as_sql(etype: EntityType, operand: Operand, kind: str) -> ColumnElement[Any]:
    """Any operand as a SQL value (paths resolved for ``kind``)."""
    if isinstance(operand, Sql):
        return operand.expr
    if isinstance(operand, Literal):
        return sa.literal(operand.value)
    return resolve(etype, operand, kind)


_OPS = {
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
    if isinstance(left, PathRef) and left.segments[0] in {n.name for n in etype.navs}:
        return through_nav(etype, left, lambda target, path: compare(target, path, op, right))
    if isinstance(left, PathRef) and isinstance(right, Literal):
        right = _literal_for(etype, left, right)
        column = resolve(etype, left, right.kind)
        if left.segments == ("result",) and right.kind in ("string", "bool"):
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
    return _OPS[op](as_sql(etype, left, kind), as_sql(etype, right, kind))


def compile_filter(etype: EntityType, text: str) -> ColumnElement[bool]:
    """The SQL condition of ``$filter`` text for rows of ``etype``; 400 on any error."""
    return Parser(text, etype).parse()
