"""``$batch``: many SensorThings requests in one, as OData JSON batch or multipart/mixed.

Every part becomes a :class:`~zhicheng.sensing.service.Call` and runs through
:func:`~zhicheng.sensing.service.execute` (so every write passes the one authorization check).
Requests outside a change set (atomicity group) run one transaction each; the requests of a
change set run in one transaction together, so either all of them are stored or none is (the
group then answers one error). A later request may address an entity created earlier in the
batch as ``$<id>`` (``$1/Datastreams``), its request id or Content-ID.

References
----------
OGC 18-088 §11.2 (batch requests), Annex A.4; OData 4.01 Part 1 §11.7 (batch requests,
multipart format, change sets, Content-ID references); OData JSON Format 4.01 §19 (JSON batch).
"""

from __future__ import annotations

import email.errors
import email.parser
import email.policy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from zhicheng.errors import ZhichengError
from zhicheng.sensing import changes
from zhicheng.sensing.errors import Unauthorized, bad
from zhicheng.sensing.options import Limits
from zhicheng.sensing.service import Actor, Answer, Call, execute

#: Requests in one batch, at most.
MAX_PARTS = 1000


@dataclass
class Part:
    """One request of a batch."""

    id: str | None
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    group: str | None = None


@dataclass
class Reply:
    """The answer to one part."""

    id: str | None
    answer: Answer
    group: str | None = None


def _error(status: int, message: str) -> Answer:
    return Answer(status, {"error": {"code": status, "message": message}})


def _relative(url: str, version: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """A part's URL as a path under the service root and its query parameters."""
    split = urlsplit(url)
    path = split.path.lstrip("/")
    if path.startswith(f"{version}/"):
        path = path[len(version) + 1 :]
    elif path == version:
        path = ""
    return path, tuple(parse_qsl(split.query, keep_blank_values=True))


_REFERENCE = re.compile(r"^\$([A-Za-z0-9_.-]+)(?=/|$)")


def _resolve(path: str, created: dict[str, str]) -> str:
    """``$1/Datastreams`` → ``Things(7)/Datastreams`` for an entity made earlier in the batch."""
    match = _REFERENCE.match(path)
    if match is None:
        return path
    target = created.get(match.group(1))
    if target is None:
        raise bad(f"${match.group(1)} names no entity created earlier in this batch")
    return target + path[match.end() :]


@dataclass
class Runner:
    """Runs the parts of one batch for one caller."""

    engine: Engine
    actor: Actor
    base: str
    version: str
    #: Reads need a token when open reads are off.
    open_reads: bool = True
    #: The HTTP status of an error (the server's one mapping of error kinds).
    status_of: Callable[[ZhichengError], int] = lambda exc: 400
    created: dict[str, str] = field(default_factory=dict)
    #: The bounds of each part's answer.
    limits: Limits = field(default_factory=Limits)

    def call(self, part: Part) -> Call:
        """The service call a part stands for."""
        path, params = _relative(part.url, self.version)
        path = _resolve(path, self.created)
        ctype = next((v for k, v in part.headers.items() if k.lower() == "content-type"), "application/json")
        return Call(part.method.upper(), path, self.base, params, part.body, ctype, self.limits)

    def _remember(self, part: Part, answer: Answer) -> None:
        location = answer.headers.get("Location")
        if part.id is not None and location and location.startswith(self.base + "/"):
            self.created[part.id] = location[len(self.base) + 1 :]

    def _one(self, conn: sa.Connection, part: Part) -> Answer:
        call = self.call(part)
        if call.method == "GET" and self.actor.role is None and not self.open_reads:
            raise Unauthorized("reads need a token on this server")
        answer = execute(conn, self.actor, call)
        self._remember(part, answer)
        return answer

    def run_single(self, part: Part) -> Answer:
        """One request in its own transaction (a read on its own connection)."""
        try:
            if part.method.upper() == "GET":
                with self.engine.connect() as conn:
                    return self._one(conn, part)
            return changes.committed(self.engine, lambda conn: self._one(conn, part))
        except ZhichengError as exc:
            return _error(self.status_of(exc), _message(exc))

    def run_group(self, parts: list[Part]) -> list[Reply]:
        """A change set: every request in one transaction; the first failure undoes them all."""
        replies: list[Reply] = []
        failed: Reply | None = None
        created = dict(self.created)

        def work(conn: sa.Connection) -> None:
            nonlocal failed
            for part in parts:
                try:
                    replies.append(Reply(part.id, self._one(conn, part), part.group))
                except ZhichengError as exc:
                    status = self.status_of(exc)
                    failed = Reply(part.id, _error(status, _message(exc)), part.group)
                    raise

        try:
            changes.committed(self.engine, work)
        except ZhichengError:
            self.created = created
            assert failed is not None
            return [failed]
        return replies

    def run(self, parts: list[Part]) -> list[Reply]:
        """Every part in order; consecutive parts of one atomicity group run together."""
        if len(parts) > MAX_PARTS:
            raise bad(f"a batch holds at most {MAX_PARTS} requests")
        replies: list[Reply] = []
        i = 0
        while i < len(parts):
            group = parts[i].group
            if group is None:
                replies.append(Reply(parts[i].id, self.run_single(parts[i])))
                i += 1
                continue
            j = i
            while j < len(parts) and parts[j].group == group:
                j += 1
            replies.extend(self.run_group(parts[i:j]))
            i = j
        return replies


def _message(exc: ZhichengError) -> str:
    return "; ".join(p.reason for p in exc.problems) if exc.problems else str(exc)


# --- OData JSON batch ---------------------------------------------------------------------------


def parse_json_batch(doc: Any) -> list[Part]:
    """The parts of ``{"requests": [{id, method, url, headers, body, atomicityGroup}…]}``."""
    if not isinstance(doc, dict) or not isinstance(doc.get("requests"), list):
        raise bad('a JSON batch is {"requests": [{"id", "method", "url", "body"…}]}')
    parts = []
    for i, item in enumerate(doc["requests"]):
        if not isinstance(item, dict) or not isinstance(item.get("method"), str) or not isinstance(item.get("url"), str):
            raise bad(f"batch request {i} needs a method and a url")
        headers = item.get("headers") or {}
        if not isinstance(headers, dict):
            raise bad(f"batch request {i}: headers must be an object")
        group = item.get("atomicityGroup")
        parts.append(
            Part(
                id=None if item.get("id") is None else str(item["id"]),
                method=item["method"],
                url=item["url"],
                headers={str(k): str(v) for k, v in headers.items()},
                body=item.get("body"),
                group=None if group is None else str(group),
            )
        )
    ids = [p.id for p in parts if p.id is not None]
    if len(ids) != len(set(ids)):
        raise bad("batch request ids must be unique")
    return parts


def json_batch_answer(replies: list[Reply]) -> dict[str, Any]:
    """``{"responses": [{id, status, headers, body, atomicityGroup}…]}``."""
    out = []
    for reply in replies:
        item: dict[str, Any] = {"id": reply.id, "status": reply.answer.status}
        if reply.group is not None:
            item["atomicityGroup"] = reply.group
        if reply.answer.headers:
            item["headers"] = {k.lower(): v for k, v in reply.answer.headers.items()}
        if reply.answer.body is not None:
            item["body"] = reply.answer.body
        out.append(item)
    return {"responses": out}


# --- multipart/mixed -----------------------------------------------------------------------------


def _http_request(text: str, content_id: str | None, group: str | None) -> Part:
    """One ``application/http`` part: request line, headers, blank line, body."""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    lines = [line for line in head.split("\n") if line.strip()]
    if not lines:
        raise bad("a batch part holds no request")
    words = lines[0].split()
    if len(words) < 2:
        raise bad(f"batch part request line {lines[0]!r} is not 'METHOD url HTTP/1.1'")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        key, _, value = line.partition(":")
        headers[key.strip()] = value.strip()
    parsed: Any = None
    if body.strip():
        try:
            parsed = json.loads(body)
        except ValueError as exc:
            raise bad(f"batch part body is not JSON: {exc}") from None
    return Part(content_id, words[0], words[1], headers, parsed, group)


def parse_multipart(content_type: str, body: bytes) -> list[Part]:
    """The parts of a ``multipart/mixed`` batch (change sets nested as ``multipart/mixed``)."""
    try:
        return _parse_multipart(content_type, body)
    except (ValueError, UnicodeError, LookupError, TypeError, email.errors.MessageError) as exc:
        raise bad(f"unreadable multipart batch: {exc}") from None


def _parse_multipart(content_type: str, body: bytes) -> list[Part]:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise bad("a multipart batch needs Content-Type multipart/mixed with a boundary")
    parts: list[Part] = []
    for n, sub in enumerate(message.iter_parts()):
        if sub.is_multipart():
            group = f"changeset{n}"
            for inner in sub.iter_parts():
                parts.append(_http_request(_payload(inner), inner.get("Content-ID"), group))
        else:
            parts.append(_http_request(_payload(sub), sub.get("Content-ID"), None))
    return parts


def _payload(part: Any) -> str:
    raw = part.get_payload(decode=True)
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(part.get_payload())


def _http_response(reply: Reply) -> str:
    answer = reply.answer
    reason = HTTPStatus(answer.status).phrase
    lines = [f"HTTP/1.1 {answer.status} {reason}"]
    body = ""
    if answer.body is not None:
        body = str(answer.body) if answer.text else json.dumps(answer.body, ensure_ascii=False)
        lines.append("Content-Type: " + ("text/plain" if answer.text else "application/json"))
    lines += [f"{k}: {v}" for k, v in answer.headers.items()]
    return "\r\n".join(lines) + "\r\n\r\n" + body


def multipart_answer(replies: list[Reply], boundary: str) -> str:
    """The ``multipart/mixed`` response: one part per answer, change sets nested."""
    out: list[str] = []
    i = 0
    while i < len(replies):
        group = replies[i].group
        if group is None:
            out.append(_application_http(replies[i]))
            i += 1
            continue
        j = i
        while j < len(replies) and replies[j].group == group:
            j += 1
        inner = f"changeset_{boundary}_{i}"
        nested = "".join(f"--{inner}\r\n{_application_http(r)}" for r in replies[i:j])
        out.append(f"Content-Type: multipart/mixed; boundary={inner}\r\n\r\n{nested}--{inner}--\r\n")
        i = j
    return "".join(f"--{boundary}\r\n{part}" for part in out) + f"--{boundary}--\r\n"


def _application_http(reply: Reply) -> str:
    cid = f"Content-ID: {reply.id}\r\n" if reply.id is not None else ""
    return (
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
        f"{cid}\r\n{_http_response(reply)}\r\n"
    )

