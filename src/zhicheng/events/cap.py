"""OASIS Common Alerting Protocol 1.2: CAP documents and the Atom feed of published warnings.

Documents are built with lxml element by element (data never becomes markup) in the order the
schema's sequences require, and every document is validated against the OASIS schema kept in
``schemas/CAP-v1.2.xsd`` (see ``schemas/PROVENANCE.md``) before it is served.

References
----------
OASIS, Common Alerting Protocol Version 1.2, OASIS Standard, 1 July 2010
(docs.oasis-open.org/emergency/cap/v1.2/CAP-v1.2-os.html): §3.2.1 ``alert`` (identifier, sender,
sent, status, msgType, scope, references), §3.2.2 ``info`` (language, category, event, urgency,
severity, certainty …), §3.2.4 ``area`` (polygon: "paired values of points … first and last pairs
of coordinates MUST be the same", at least 4 pairs; circle: "a central point … followed by a
space character and a radius value in kilometers"), §3.3.2 dateTime ("2002-05-24T16:49:00-07:00";
"Alphabetic timezone designators such as 'Z' MUST NOT be used"). IETF RFC 4287 (Atom).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from zhicheng.errors import Problem
from zhicheng.events.errors import EventError

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
SCHEMA = Path(__file__).with_name("schemas") / "CAP-v1.2.xsd"

STATUSES = ("Actual", "Exercise", "System", "Test", "Draft")
MSG_TYPES = ("Alert", "Update", "Cancel")
CATEGORIES = ("Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra",
              "CBRNE", "Other")
URGENCIES = ("Immediate", "Expected", "Future", "Past", "Unknown")
SEVERITIES = ("Extreme", "Severe", "Moderate", "Minor", "Unknown")
CERTAINTIES = ("Observed", "Likely", "Possible", "Unlikely", "Unknown")
RESPONSE_TYPES = ("Shelter", "Evacuate", "Prepare", "Execute", "Avoid", "Monitor", "Assess", "AllClear", "None")
#: Characters CAP forbids in identifier and sender (§3.2.1: "MUST NOT include spaces, commas or
#: restricted characters (< and &)").
_RESTRICTED = re.compile(r"[\s,<&]")


@dataclass(frozen=True)
class InfoBlock:
    """One ``info`` block in one language (zh-CN first, then en-US)."""

    language: str
    event: str
    headline: str
    description: str = ""
    instruction: str = ""


@dataclass(frozen=True)
class CapMessage:
    """What a CAP document says; see the module's references for each field."""

    identifier: str
    sender: str
    sent: datetime
    status: str
    msg_type: str
    category: str
    event_code: str
    urgency: str
    severity: str
    certainty: str
    area_desc: str
    info: tuple[InfoBlock, ...]
    polygon: str | None = None
    circle: str | None = None
    response_type: str | None = None
    effective: datetime | None = None
    onset: datetime | None = None
    expires: datetime | None = None
    sender_name: str | None = None
    #: (sender, identifier, sent) of the messages this one updates or cancels.
    references: tuple[tuple[str, str, datetime], ...] = ()
    note: str | None = None
    area_desc_by_language: dict[str, str] = field(default_factory=dict)


def cap_time(value: datetime) -> str:
    """A CAP dateTime: seconds and a numeric offset, never ``Z`` (§3.3.2)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _pairs(text: str) -> list[tuple[float, float]]:
    out = []
    for pair in text.split():
        lat, lon = pair.split(",")
        out.append((float(lat), float(lon)))
    return out


def area_problems(polygon: str | None, circle: str | None) -> list[Problem]:
    """Problems of a CAP polygon ("lat,lon …", closed, ≥ 4 pairs) and circle ("lat,lon radius_km")."""
    problems: list[Problem] = []
    if polygon:
        try:
            pts = _pairs(polygon)
        except ValueError:
            pts = []
            problems.append(Problem("polygon must be whitespace-separated lat,lon pairs", column="polygon"))
        if pts and (len(pts) < 4 or pts[0] != pts[-1]):
            problems.append(Problem("polygon needs at least 4 pairs and its first pair repeated last (CAP 1.2 §3.2.4)",
                                    column="polygon"))
        if any(not (-90 <= a <= 90 and -180 <= b <= 180) for a, b in pts):
            problems.append(Problem("polygon points must be WGS 84 latitude,longitude", column="polygon"))
    if circle:
        m = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s*", circle)
        if m is None or not (-90 <= float(m.group(1)) <= 90 and -180 <= float(m.group(2)) <= 180):
            problems.append(Problem("circle must be 'lat,lon radius_km' (CAP 1.2 §3.2.4)", column="circle"))
    return problems


def message_problems(m: CapMessage) -> list[Problem]:
    """Every way ``m`` breaks CAP 1.2's rules (enumerations, identifiers, area, info blocks)."""
    problems: list[Problem] = []
    for name, value, allowed in (("status", m.status, STATUSES), ("msg_type", m.msg_type, MSG_TYPES),
                                 ("category", m.category, CATEGORIES), ("urgency", m.urgency, URGENCIES),
                                 ("severity", m.severity, SEVERITIES), ("certainty", m.certainty, CERTAINTIES)):
        if value not in allowed:
            problems.append(Problem(f"{name} must be one of {', '.join(allowed)}, got {value!r}", column=name))
    if m.response_type is not None and m.response_type not in RESPONSE_TYPES:
        problems.append(Problem(f"response_type must be one of {', '.join(RESPONSE_TYPES)}", column="response_type"))
    for name, value in (("identifier", m.identifier), ("sender", m.sender)):
        if not value or _RESTRICTED.search(value):
            problems.append(Problem(f"{name} may not be empty or contain spaces, commas, < or &", column=name))
    if not m.info:
        problems.append(Problem("a warning needs at least one info block", column="info"))
    for i, block in enumerate(m.info):
        if not block.event.strip() or not block.headline.strip():
            problems.append(Problem(f"info[{i}] needs an event and a headline", column="info"))
    if m.msg_type in ("Update", "Cancel") and not m.references:
        problems.append(Problem(f"a {m.msg_type} must reference the message it replaces", column="references"))
    if not m.area_desc.strip():
        problems.append(Problem("the area needs a description", column="area_desc"))
    problems.extend(area_problems(m.polygon, m.circle))
    return problems


def _sub(parent: Any, name: str, text: str | None) -> Any:
    from lxml import etree

    node = etree.SubElement(parent, f"{{{CAP_NS}}}{name}")
    if text is not None:
        node.text = text
    return node


def _info(root: Any, m: CapMessage, block: InfoBlock) -> None:
    info = _sub(root, "info", None)
    _sub(info, "language", block.language)
    _sub(info, "category", m.category)
    _sub(info, "event", block.event)
    if m.response_type:
        _sub(info, "responseType", m.response_type)
    _sub(info, "urgency", m.urgency)
    _sub(info, "severity", m.severity)
    _sub(info, "certainty", m.certainty)
    code = _sub(info, "eventCode", None)
    _sub(code, "valueName", "zhicheng:event_code")
    _sub(code, "value", m.event_code)
    for name, value in (("effective", m.effective), ("onset", m.onset), ("expires", m.expires)):
        if value is not None:
            _sub(info, name, cap_time(value))
    if m.sender_name:
        _sub(info, "senderName", m.sender_name)
    _sub(info, "headline", block.headline)
    if block.description:
        _sub(info, "description", block.description)
    if block.instruction:
        _sub(info, "instruction", block.instruction)
    area = _sub(info, "area", None)
    _sub(area, "areaDesc", m.area_desc_by_language.get(block.language) or m.area_desc)
    if m.polygon:
        _sub(area, "polygon", " ".join(m.polygon.split()))
    if m.circle:
        _sub(area, "circle", " ".join(m.circle.split()))


def cap_document(m: CapMessage) -> bytes:
    """The CAP 1.2 XML of ``m``, checked against the schema (:class:`EventError` when invalid)."""
    from lxml import etree

    problems = message_problems(m)
    if problems:
        raise EventError(problems=problems)
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _sub(root, "identifier", m.identifier)
    _sub(root, "sender", m.sender)
    _sub(root, "sent", cap_time(m.sent))
    _sub(root, "status", m.status)
    _sub(root, "msgType", m.msg_type)
    _sub(root, "scope", "Public")
    if m.note:
        _sub(root, "note", m.note)
    if m.references:
        _sub(root, "references", " ".join(f"{s},{i},{cap_time(t)}" for s, i, t in m.references))
    for block in m.info:
        _info(root, m, block)
    doc = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    validate_cap(doc)
    return bytes(doc)


@functools.lru_cache(maxsize=1)
def _schema() -> Any:
    from lxml import etree

    return etree.XMLSchema(etree.parse(str(SCHEMA)))


def validate_cap(document: bytes) -> None:
    """Validate a CAP document against the OASIS CAP 1.2 schema; :class:`EventError` lists the errors."""
    from lxml import etree

    try:
        tree = etree.fromstring(document)
    except etree.XMLSyntaxError as exc:
        raise EventError(problems=[Problem(f"not well-formed XML: {exc}")]) from None
    schema = _schema()
    if not schema.validate(tree):
        raise EventError("not a valid CAP 1.2 document", [
            Problem(e.message, row=e.line, column=None) for e in schema.error_log])


@dataclass(frozen=True)
class FeedEntry:
    """One published CAP message in the Atom feed."""

    identifier: str
    title: str
    summary: str
    updated: datetime
    link: str
    msg_type: str


def atom_feed(entries: Sequence[FeedEntry], feed_id: str, title: str, self_link: str) -> bytes:
    """An Atom feed (RFC 4287) of published warnings, newest first; each entry links its CAP XML."""
    from lxml import etree

    def sub(parent: Any, name: str, text: str | None = None, **attrs: str) -> Any:
        node = etree.SubElement(parent, f"{{{ATOM_NS}}}{name}", **attrs)
        if text is not None:
            node.text = text
        return node

    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    newest = max((e.updated for e in entries), default=datetime(2000, 1, 1, tzinfo=UTC))
    sub(feed, "updated", cap_time(newest))
    sub(feed, "link", rel="self", href=self_link)
    author = sub(feed, "author")
    sub(author, "name", "zhicheng 城市运行管理中心")
    for e in sorted(entries, key=lambda x: x.updated, reverse=True):
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:cap:{e.identifier}")
        sub(entry, "title", e.title)
        sub(entry, "updated", cap_time(e.updated))
        sub(entry, "summary", e.summary)
        sub(entry, "category", term=e.msg_type)
        sub(entry, "link", rel="alternate", type="application/cap+xml", href=e.link)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True))
