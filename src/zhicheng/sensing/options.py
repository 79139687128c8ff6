"""SensorThings request options: ``$top $skip $count $select $orderby $expand $filter``.

Parses the query string into a frozen :class:`QueryOptions`; ``$filter`` text is kept and
compiled to SQL by :mod:`zhicheng.sensing.filters` against the entity type it applies to.

References
----------
OGC 18-088 §9.3 (request data: query options), §9.3.2 ($expand, $select), §9.3.3 ($orderby,
$top, $skip, $count, $filter), §9.3.3.5 (@iot.nextLink).
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field, replace

from zhicheng.sensing.errors import bad

#: Entities per page when ``$top`` is not given, and the most a client may ask for by default.
DEFAULT_TOP = 100
MAX_TOP = 10_000


@dataclass(frozen=True)
class Limits:
    """The bounds of one SensorThings answer (the server's ``max_top``, ``max_expand_*`` settings)."""

    #: Largest ``$top`` (at any level of ``$expand`` too).
    max_top: int = MAX_TOP
    #: Most nested levels of ``$expand``.
    max_expand_depth: int = 3
    #: Most entities all the expansions of one answer hold together; past it, expanded
    #: collections are cut short with an ``@iot.nextLink`` (server-driven paging), and an answer
    #: that would need more than that many is refused.
    max_expanded_entities: int = 20_000


#: The limits in force for the request being answered (set by the service for each call).
DEFAULT_LIMITS = Limits()
LIMITS: ContextVar[Limits] = ContextVar("sta_limits", default=DEFAULT_LIMITS)

KNOWN = {
    "$top",
    "$skip",
    "$count",
    "$select",
    "$orderby",
    "$expand",
    "$filter",
    "$skiptoken",
    "$resultFormat",
}


@dataclass(frozen=True)
class Order:
    """One ``$orderby`` key: a property path and its direction."""

    path: str
    ascending: bool = True


@dataclass(frozen=True)
class Expand:
    """One ``$expand`` item: a navigation property and the options applied to it."""

    nav: str
    options: QueryOptions


@dataclass(frozen=True)
class QueryOptions:
    """The request options of one collection or entity request."""

    top: int | None = None
    skip: int = 0
    count: bool = False
    select: tuple[str, ...] | None = None
    orderby: tuple[Order, ...] = ()
    expand: tuple[Expand, ...] = ()
    filter: str | None = None
    skiptoken: str | None = None
    result_format: str | None = None

    @property
    def limit(self) -> int:
        """Entities on one page."""
        return DEFAULT_TOP if self.top is None else self.top

    def with_expand(self, extra: Expand) -> QueryOptions:
        """These options with one more expanded navigation property."""
        return replace(self, expand=(*self.expand, extra))


def split_top_level(text: str, sep: str) -> list[str]:
    """Split ``text`` on ``sep`` outside parentheses and quotes."""
    parts: list[str] = []
    depth, quoted, start = 0, False, 0
    for i, ch in enumerate(text):
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
            if depth < 0:
                raise bad(f"unbalanced ')' in {text!r}", "$expand")
        elif not quoted and depth == 0 and ch == sep:
            parts.append(text[start:i])
            start = i + 1
    if depth != 0 or quoted:
        raise bad(f"unbalanced parentheses or quotes in {text!r}", "$expand")
    parts.append(text[start:])
    return [p.strip() for p in parts]


def _non_negative_int(name: str, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise bad(f"{name} must be a non-negative integer, not {text!r}", name) from None
    if not 0 <= value < 2**53:
        raise bad(f"{name} must be a non-negative integer below 2^53, not {text!r}", name)
    return value


def _boolean(name: str, text: str) -> bool:
    low = text.strip().lower()
    if low not in ("true", "false"):
        raise bad(f"{name} must be true or false, not {text!r}", name)
    return low == "true"


def _names(name: str, text: str) -> tuple[str, ...]:
    items = tuple(p.strip() for p in text.split(",") if p.strip())
    if not items:
        raise bad(f"{name} needs at least one property", name)
    return items


def _orderby(text: str) -> tuple[Order, ...]:
    keys = []
    for item in _names("$orderby", text):
        words = item.split()
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise bad(f"$orderby item {item!r} is not 'property [asc|desc]'", "$orderby")
        keys.append(Order(words[0], ascending=len(words) == 1 or words[1].lower() == "asc"))
    return tuple(keys)


def _expand_item(item: str) -> Expand:
    segments = split_top_level(item, "/")
    if not segments or not all(segments):
        raise bad(f"empty navigation property in $expand item {item!r}", "$expand")
    head, options = _segment(segments[0])
    if len(segments) > 1:
        options = options.with_expand(_expand_item("/".join(segments[1:])))
    return Expand(head, options)


def _segment(segment: str) -> tuple[str, QueryOptions]:
    if "(" not in segment:
        return segment, QueryOptions()
    if not segment.endswith(")"):
        raise bad(f"$expand item {segment!r} must end with ')'", "$expand")
    name, _, inner = segment.partition("(")
    pairs: dict[str, str] = {}
    for part in split_top_level(inner[:-1], ";"):
        if not part:
            continue
        key, eq, value = part.partition("=")
        if not eq:
            raise bad(f"$expand option {part!r} is not '$option=value'", "$expand")
        pairs[key.strip()] = value.strip()
    return name.strip(), parse_options(pairs)


def parse_expand(text: str) -> tuple[Expand, ...]:
    """The ``$expand`` tree of ``text`` (comma-separated, nested options in parentheses)."""
    return tuple(_expand_item(item) for item in split_top_level(text, ","))


def parse_options(params: Mapping[str, str]) -> QueryOptions:
    """Read the ``$`` options of a request; unknown ``$`` options are a 400 error."""
    unknown = sorted(k for k in params if k.startswith("$") and k not in KNOWN)
    if unknown:
        raise bad(
            f"unknown query option(s) {', '.join(unknown)}; known: {', '.join(sorted(KNOWN))}",
            unknown[0],
        )
    top = params.get("$top")
    opts = QueryOptions(
        top=None if top is None else _non_negative_int("$top", top),
        skip=_non_negative_int("$skip", params["$skip"]) if "$skip" in params else 0,
        count=_boolean("$count", params["$count"]) if "$count" in params else False,
        select=_names("$select", params["$select"]) if "$select" in params else None,
        orderby=_orderby(params["$orderby"]) if "$orderby" in params else (),
        expand=parse_expand(params["$expand"]) if params.get("$expand") else (),
        filter=params.get("$filter") or None,
        skiptoken=params.get("$skiptoken") or None,
        result_format=params.get("$resultFormat") or None,
    )
    limits = LIMITS.get()
    if opts.top is not None and opts.top > limits.max_top:
        raise bad(f"$top may be at most {limits.max_top}", "$top")
    if _depth(opts.expand) > limits.max_expand_depth:
        raise bad(f"$expand may nest at most {limits.max_expand_depth} levels", "$expand")
    return opts


def _depth(expand: tuple[Expand, ...]) -> int:
    return max((1 + _depth(e.options.expand) for e in expand), default=0)


def _plain(value: object) -> bool:
    """A sort key a page token may carry: text, a float or an integer within 64 bits."""
    if type(value) is int:
        return -(2**63) <= value < 2**63
    return isinstance(value, str | float)


@dataclass(frozen=True)
class PageToken:
    """Where the next page starts: the last row's sort keys (keyset) or a row offset."""

    keys: tuple[object, ...] | None = None
    offset: int | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def encode(self) -> str:
        """URL-safe text of the token."""
        payload = {"k": list(self.keys)} if self.keys is not None else {"o": self.offset}
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @staticmethod
    def decode(text: str) -> PageToken:
        """Read a token made by :meth:`encode`; a damaged token is a 400 error."""
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            payload = json.loads(raw)
        except (ValueError, TypeError):
            raise bad(
                "$skiptoken is damaged; follow @iot.nextLink as given", "$skiptoken"
            ) from None
        if (
            isinstance(payload, dict)
            and isinstance(payload.get("k"), list)
            and all(map(_plain, payload["k"]))
        ):
            return PageToken(keys=tuple(payload["k"]))
        if (
            isinstance(payload, dict)
            and type(payload.get("o")) is int
            and 0 <= payload["o"] < 2**53
        ):
            return PageToken(offset=payload["o"])
        raise bad("$skiptoken is damaged; follow @iot.nextLink as given", "$skiptoken")
