"""Names and structure of the goal tree a run was evaluated with, in Chinese and English.

The cockpit labels every score with the goal model's bilingual names. A run records the framework
version it used (``framework_versions.content``, kept verbatim); this module reads that content
back into a :class:`~zhicheng.goals.model.Framework` and flattens it into a lookup of nodes. When the
content cannot be read (an older or foreign format), the built-in framework stands in when its id
matches, and failing that codes stand in for names, so a page never fails for want of a label.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import ValidationError

from zhicheng.goals.model import Framework

#: Levels of the goal tree, top-down, as stored in ``evaluation_results.level``.
LEVELS = ("index", "domain", "requirement", "indicator")


@dataclass(frozen=True)
class Node:
    """One node of the goal tree: index, domain, requirement or indicator."""

    code: str
    level: str
    name_zh: str
    name_en: str
    parent: str | None = None
    children: tuple[str, ...] = ()
    #: Indicator only: unit of measure, direction (+1 higher is better) and target value.
    unit: str | None = None
    direction: int | None = None
    target: float | None = None
    definition: str | None = None
    weight: float = 1.0

    def name(self, lang: str) -> str:
        """The node's name in ``lang`` (``zh`` or ``en``)."""
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class GradeLabel:
    """A maturity grade: level, bilingual name and the lowest index score it needs [points]."""

    level: int
    name_zh: str
    name_en: str
    min: float

    def name(self, lang: str) -> str:
        """The grade's name in ``lang``."""
        return self.name_en if lang == "en" else self.name_zh


@dataclass(frozen=True)
class Labels:
    """The flattened goal tree of one framework version (or codes only, when unknown)."""

    framework_id: str | None
    version: str | None
    nodes: dict[str, Node] = field(default_factory=dict)
    grades: tuple[GradeLabel, ...] = ()

    def node(self, code: str, level: str | None = None) -> Node:
        """The node ``code``; an unnamed stand-in (the code as its name) when it is unknown."""
        found = self.nodes.get(code)
        if found is not None:
            return found
        return Node(code=code, level=level or _level_of(code), name_zh=code, name_en=code)

    def name(self, code: str, lang: str) -> str:
        """The name of ``code`` in ``lang``."""
        return self.node(code).name(lang)

    def path(self, code: str) -> list[Node]:
        """The nodes from the index down to ``code`` (inclusive)."""
        out: list[Node] = []
        current: str | None = code
        while current is not None and len(out) < 8:
            node = self.node(current)
            out.append(node)
            current = node.parent
        return out[::-1]

    def grade(self, level: int | None) -> GradeLabel | None:
        """The grade numbered ``level``."""
        return next((g for g in self.grades if g.level == level), None)

    def next_grade(self, level: int | None) -> GradeLabel | None:
        """The grade above ``level`` (None at the top or when grades are unknown)."""
        if level is None:
            return None
        return next((g for g in self.grades if g.level == level + 1), None)


def _level_of(code: str) -> str:
    parts = code.split(".")
    if len(parts) == 3:
        return "indicator"
    if len(parts) == 2:
        return "requirement"
    if parts[0][:1] == "D" and parts[0][1:].isdigit():
        return "domain"
    return "index"


def labels_from_framework(fw: Framework) -> Labels:
    """Flatten a framework into :class:`Labels`."""
    nodes: dict[str, Node] = {
        fw.id: Node(
            code=fw.id,
            level="index",
            name_zh=fw.name.zh,
            name_en=fw.name.en,
            children=tuple(d.id for d in fw.domains),
        )
    }
    for d in fw.domains:
        nodes[d.id] = Node(
            code=d.id, level="domain", name_zh=d.name.zh, name_en=d.name.en, parent=fw.id,
            children=tuple(r.id for r in d.requirements), weight=d.weight,
        )
        for r in d.requirements:
            nodes[r.id] = Node(
                code=r.id, level="requirement", name_zh=r.name.zh, name_en=r.name.en,
                parent=d.id, children=tuple(i.id for i in r.indicators), weight=r.weight,
            )
            for i in r.indicators:
                nodes[i.id] = Node(
                    code=i.id, level="indicator", name_zh=i.name.zh, name_en=i.name.en,
                    parent=r.id, unit=i.unit, direction=i.direction, target=i.target,
                    definition=i.definition, weight=i.weight,
                )
    grades = tuple(GradeLabel(g.level, g.name.zh, g.name.en, g.min) for g in fw.grades)
    return Labels(framework_id=fw.id, version=fw.version, nodes=nodes, grades=grades)


def _parse(content: str) -> Framework | None:
    """A framework from stored content: JSON or YAML of the model; None when it is neither."""
    data: Any
    try:
        data = json.loads(content)
    except ValueError:
        try:
            data = yaml.safe_load(content)
        except yaml.YAMLError:
            return None
    if not isinstance(data, dict):
        return None
    if isinstance(data.get("framework"), dict):
        data = data["framework"]
    try:
        return Framework.model_validate(data)
    except ValidationError:
        return None


def _builtin() -> Framework | None:
    try:
        from zhicheng.goals.loader import builtin_framework
    except ImportError:  # the catalogue is optional for reading results
        return None
    try:
        return builtin_framework()
    except Exception:  # a broken catalogue must not break the cockpit's pages
        return None


def labels_for(framework_id: str | None, version: str | None, content: str | None) -> Labels:
    """Labels of a stored framework version, falling back to the built-in one, then to codes."""
    fw = _parse(content) if content else None
    if fw is None:
        builtin = _builtin()
        if builtin is not None and (framework_id is None or builtin.id == framework_id):
            fw = builtin
    if fw is None:
        return Labels(framework_id=framework_id, version=version)
    return labels_from_framework(fw)
