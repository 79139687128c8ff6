"""$filter compilation, request options and time formats of the SensorThings service."""

from __future__ import annotations

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from zhicheng.sensing.errors import BadRequest
from zhicheng.sensing.filters import compile_filter, tokenize
from zhicheng.sensing.model import ENTITY_SETS
from zhicheng.sensing.options import PageToken, parse_expand, parse_options, split_top_level
from zhicheng.sensing.timefmt import (
    format_instant,
    format_time,
    parse_instant,
    parse_instants,
    parse_time,
)

OBS = ENTITY_SETS["Observations"]
THINGS = ENTITY_SETS["Things"]


def _sql(cond: sa.ColumnElement[bool], dialect: sa.Dialect) -> tuple[str, dict[str, object]]:
    compiled = cond.compile(dialect=dialect)
    return str(compiled), dict(compiled.params)


def test_literals_become_bound_parameters() -> None:
    text, params = _sql(
        compile_filter(THINGS, "name eq 'x'' OR 1=1 --' and properties/station eq 'Dongsi'"),
        sqlite.dialect(),
    )
    assert "OR 1=1" not in text and "Dongsi" not in text
    assert "x' OR 1=1 --" in params.values() and "Dongsi" in params.values()
    pg, _ = _sql(compile_filter(THINGS, "properties/station eq 'Dongsi'"), postgresql.dialect())
    # The JSON member is read as text with PostgreSQL's ->> (its key a bound parameter too).
    assert "sta_things.properties ->> %(properties_1)s" in pg and "Dongsi" not in pg


def test_times_are_compared_as_microseconds() -> None:
    # 2017-02-01T08:00:00+08:00 is 2017-02-01T00:00:00Z = 1485907200 s since the epoch.
    _, params = _sql(
        compile_filter(OBS, "phenomenonTime ge 2017-02-01T08:00:00+08:00"), sqlite.dialect()
    )
    assert set(params.values()) == {1_485_907_200_000_000}


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [
        ("result gt 5 and (result lt 9 or not result eq 7)", "result_number"),
        ("5 lt result", "result_number >"),
        ("Datastream/Thing/name eq 'A'", "IN (SELECT"),
        ("substringof('ab', FeatureOfInterest/name)", "LIKE"),
        ("result eq 'wet'", "CAST"),
        ("parameters/depth ge 2.5", "JSON_EXTRACT"),
        ("resultTime eq null", "IS NULL"),
    ],
)
def test_grammar_compiles(expression: str, fragment: str) -> None:
    text, _ = _sql(compile_filter(OBS, expression), sqlite.dialect())
    assert fragment in text


@pytest.mark.parametrize(
    ("expression", "reason"),
    [
        ("", "empty"),
        ("result eq", "ends too early"),
        ("result ~ 3", "cannot read"),
        ("(result eq 3", "expected ')'"),
        ("result mul eq 4", "no property 'eq'"),
        ("frobnicate(result) eq 1", "not supported"),
        ("colour eq 'red'", "no property 'colour'"),
        ("Datastream eq 1", "navigation property"),
        ("parameters eq 3", "compare a member"),
        ("phenomenonTime gt 'soon'", "not an ISO 8601 time"),
    ],
)
def test_bad_filters_say_why(expression: str, reason: str) -> None:
    with pytest.raises(BadRequest) as err:
        compile_filter(OBS, expression)
    assert reason in str(err.value)


def test_tokens_and_splitting() -> None:
    kinds = [
        t.kind
        for t in tokenize(
            "phenomenonTime ge 2017-01-01T00:00:00Z and result eq -1.5e2 and name eq 'it''s'"
        )
    ]
    assert kinds == [
        "word",
        "word",
        "time",
        "word",
        "word",
        "word",
        "number",
        "word",
        "word",
        "word",
        "string",
    ]
    assert split_top_level("A($select=a,b;$top=1),B/C,'x,y'", ",") == [
        "A($select=a,b;$top=1)",
        "B/C",
        "'x,y'",
    ]


def test_expand_tree_and_options() -> None:
    tree = parse_expand(
        "Datastreams($top=1;$expand=Observations($orderby=phenomenonTime desc;$top=2)),Locations,Datastreams/Sensor"
    )
    assert [e.nav for e in tree] == ["Datastreams", "Locations", "Datastreams"]
    assert tree[0].options.top == 1
    inner = tree[0].options.expand[0]
    assert (inner.nav, inner.options.top, inner.options.orderby[0].ascending) == (
        "Observations",
        2,
        False,
    )
    assert tree[2].options.expand[0].nav == "Sensor"
    opts = parse_options(
        {
            "$top": "5",
            "$skip": "10",
            "$count": "TRUE",
            "$select": "id, result",
            "$orderby": "result desc,id",
        }
    )
    assert (opts.top, opts.skip, opts.count, opts.select) == (5, 10, True, ("id", "result"))
    assert [(o.path, o.ascending) for o in opts.orderby] == [("result", False), ("id", True)]
    assert parse_options({}).limit == 100


def test_page_tokens_round_trip_and_refuse_damage() -> None:
    token = PageToken(keys=(1_485_907_200_000_000, 42))
    assert PageToken.decode(token.encode()).keys == (1_485_907_200_000_000, 42)
    assert PageToken.decode(PageToken(offset=300).encode()).offset == 300
    for damaged in ("!!", "eyJrIjpbMl4xMDBdfQ", PageToken(keys=(2**70,)).encode()):
        with pytest.raises(BadRequest):
            PageToken.decode(damaged)


def test_time_round_trips() -> None:
    t = parse_instant("2017-02-01T08:00:00.250+08:00")
    assert t == 1_485_907_200_250_000
    assert format_instant(t) == "2017-02-01T00:00:00.25Z"
    assert parse_time("2017-02-01T00:00:00Z/2017-02-01T01:00:00Z") == (
        1_485_907_200_000_000,
        1_485_910_800_000_000,
    )
    assert (
        format_time(1_485_907_200_000_000, 1_485_910_800_000_000)
        == "2017-02-01T00:00:00Z/2017-02-01T01:00:00Z"
    )
    many = ["2017-02-01T00:00:00Z", "2017-02-01T08:00:00.250+08:00", "2017-02-01T00:00:00"]
    assert parse_instants(many, "t").tolist() == [parse_instant(v) for v in many]
    assert isinstance(parse_instants(many, "t"), np.ndarray)
    with pytest.raises(BadRequest):
        parse_time("2017-02-02T00:00:00Z/2017-02-01T00:00:00Z")
    with pytest.raises(BadRequest):
        parse_instants(["2017-02-01T00:00:00Z", 5], "t")
