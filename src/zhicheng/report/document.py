"""What a report says, as plain data: the one value every renderer (HTML, PDF, Word) reads."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from zhicheng.errors import Invalid, NotFound

#: Report kinds and output formats.
KINDS = ("city", "domain", "campaign")
FORMATS = ("pdf", "docx", "html")
LANGS = ("zh", "en")


class ReportError(Invalid):
    """A report that cannot be made as asked (unknown kind, format, language or unit)."""


@dataclass(frozen=True)
class Document:
    """One report's content.

    ``sections`` maps a section name to its data (lists and dicts of numbers and text, numbers
    unformatted: the templates format them); ``charts`` maps a chart name to its spec
    (:mod:`zhicheng.report.charts`); ``toc`` lists the sections' anchors and titles in order;
    ``provenance`` records what the report rests on (run, framework and method versions, data
    batches) and is printed in the report and stored beside it.
    """

    kind: str
    lang: str
    title: str
    subtitle: str
    sections: dict[str, Any]
    provenance: dict[str, Any]
    charts: dict[str, dict[str, Any]] = field(default_factory=dict)
    toc: tuple[tuple[str, str], ...] = ()

    def fingerprint(self) -> str:
        """SHA-256 of the content and chart specs: equal reports have equal fingerprints."""
        body = json.dumps({"kind": self.kind, "lang": self.lang, "title": self.title, "sections": self.sections,
                           "provenance": self.provenance, "charts": self.charts}, ensure_ascii=False, sort_keys=True, default=str)
        return hashlib.sha256(body.encode()).hexdigest()


def check(kind: str, fmt: str, lang: str) -> None:
    """Raise :class:`ReportError` for an unknown kind, format or language."""
    if kind not in KINDS:
        raise ReportError(f"unknown report kind {kind!r}: use {', '.join(KINDS)}")
    if fmt not in FORMATS:
        raise ReportError(f"unknown report format {fmt!r}: use {', '.join(FORMATS)}")
    if lang not in LANGS:
        raise ReportError(f"unknown language {lang!r}: use zh or en")


class ReportNotFound(NotFound):
    """The report (or its job) asked for does not exist."""
