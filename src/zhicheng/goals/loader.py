"""Loading and validating framework files.

A framework is given either as **one YAML file** holding everything, or as a **folder** (or its
``framework.yaml``) whose domain entries name a domain file in the same folder with ``file:``::

    id: zhicheng-7d              # framework.yaml
    version: "1.0"
    name: {zh: …, en: …}
    grades:
      - {level: 1, name: {zh: 准备级, en: Preparation}, min: 0}
      …
    domains:
      - {id: D1, weight: 1, file: d1_services.yaml}   # or the domain written out in place
      …

A domain file holds ``id`` (matching the entry), ``name`` and ``requirements``; keys of the entry
and of the file are merged (a key given in both is a problem). Every problem in every file is
collected and raised at once as :class:`~zhicheng.goals.model.FrameworkError`, each with its
file and line.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from zhicheng.errors import Problem
from zhicheng.goals.export import framework_to_dict
from zhicheng.goals.model import Framework, FrameworkError, grade_problems, id_problems
from zhicheng.goals.yamlread import LDict, LList, Where, read_located_yaml

__all__ = ["builtin_framework", "catalogue_dir", "framework_to_dict", "load_framework"]

#: The file a folder's framework is read from.
FRAMEWORK_FILE = "framework.yaml"

_CHILDREN = {"domains": "domain", "requirements": "requirement", "indicators": "indicator",
             "grades": "grade"}


def catalogue_dir() -> Traversable:
    """The packaged folder of the built-in catalogue (``zhicheng/goals/catalogue``)."""
    return files("zhicheng.goals").joinpath("catalogue")


@functools.cache
def builtin_framework() -> Framework:
    """The built-in seven-domain framework (``zhicheng-7d``), loaded once and cached."""
    return _load(catalogue_dir(), FRAMEWORK_FILE, "catalogue")


def load_framework(path: str | Path | None = None) -> Framework:
    """Load and validate a framework.

    Parameters
    ----------
    path
        A single YAML file with everything, a ``framework.yaml`` whose domain entries name
        domain files in the same folder, or that folder; None for the built-in catalogue.

    Raises
    ------
    FrameworkError
        With one located problem (file, line, reason) for every mistake found in any file.
    """
    if path is None:
        return builtin_framework()
    p = Path(path)
    if p.is_dir():
        p = p / FRAMEWORK_FILE
    return _load(p.parent, p.name, str(p.parent))


def _read(source: Traversable, shown: str, problems: list[Problem], where: Where | None) -> Any:
    """Read one YAML file; a missing or unreadable file is a problem located at ``where``."""
    try:
        text = source.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as exc:
        at = where or (shown, None)
        problems.append(Problem(f"cannot read {shown}: {exc.strerror or exc}", at[0], at[1]))
        return None
    except UnicodeDecodeError as exc:
        problems.append(Problem(f"not UTF-8 text (byte {exc.start})", shown))
        return None
    before = len(problems)
    data = read_located_yaml(text, shown, problems)
    if data is None and len(problems) == before:
        problems.append(Problem("the file is empty", shown, 1))
    return data


def _shown(folder_shown: str, name: str) -> str:
    return name if folder_shown in ("", ".") else str(Path(folder_shown) / name)


def _load(folder: Traversable, name: str, folder_shown: str) -> Framework:
    """Read ``name`` in ``folder`` (and the domain files it names) into a validated framework."""
    problems: list[Problem] = []
    shown = _shown(folder_shown, name)
    root = _read(folder.joinpath(name), shown, problems, None)
    if root is not None and not isinstance(root, LDict):
        problems.append(Problem("a framework file must be a mapping with id, version, "
                                "name, grades and domains", shown, 1))
    if problems:
        raise FrameworkError(problems=problems)
    unread = _resolve_domain_files(root, folder, folder_shown, problems)
    problems.extend(_structure_problems(root))
    try:
        framework = Framework.model_validate(root)
    except ValidationError as exc:
        problems.extend(_pydantic_problems(exc, root, unread, skip_cross=bool(problems)))
    if problems:
        raise FrameworkError(problems=_unique(problems))
    return framework


def _resolve_domain_files(root: LDict, folder: Traversable, folder_shown: str,
                          problems: list[Problem]) -> set[tuple[Any, ...]]:
    """Replace each domain entry that has ``file:`` by the entry merged with that file.

    Returns the locations (``("domains", i)``) of entries whose file could not be used.
    """
    unread: set[tuple[Any, ...]] = set()
    domains = root.get("domains")
    if not isinstance(domains, LList):
        return unread
    for pos, entry in enumerate(domains):
        if not isinstance(entry, LDict) or "file" not in entry:
            continue
        name = entry["file"]
        if not isinstance(name, str) or not name:
            problems.append(Problem("'file' must name a domain file", *entry.key_where["file"]))
            continue
        shown_child = _shown(folder_shown, name)
        content = _read(folder.joinpath(name), shown_child, problems, entry.key_where["file"])
        if content is not None and not isinstance(content, LDict):
            problems.append(Problem("a domain file must be a mapping with id, name and "
                                    "requirements", shown_child, 1))
        if isinstance(content, LDict):
            domains[pos] = _merge(entry, content, problems)
        else:
            domains[pos] = _without(entry, "file")
            unread.add(("domains", pos))
    return unread


def _without(entry: LDict, key: str) -> LDict:
    out = LDict((k, v) for k, v in entry.items() if k != key)
    out.where = entry.where
    out.key_where = {k: w for k, w in entry.key_where.items() if k != key}
    return out


def _merge(entry: LDict, content: LDict, problems: list[Problem]) -> LDict:
    """Merge a domain entry of the framework file with its domain file's content."""
    out = _without(entry, "file")
    out.where = content.where
    for key, value in content.items():
        if key == "id" and "id" in out:
            if value != out["id"]:
                problems.append(Problem(
                    f"domain file's id {value!r} does not match the framework entry's id "
                    f"{out['id']!r} (line {entry.key_where['id'][1]} of {entry.where[0]})",
                    *content.key_where[key]))
            continue
        if key in out:
            problems.append(Problem(
                f"key {key!r} is given both here and in the framework entry "
                f"({entry.where[0]}, line {entry.key_where[key][1]})", *content.key_where[key]))
            continue
        out[key] = value
        out.key_where[key] = content.key_where[key]
    return out


def _items(node: Any, key: str) -> Iterator[tuple[LDict, Where]]:
    """The mapping items of the list under ``node[key]``, with their locations."""
    if isinstance(node, LDict) and isinstance(node.get(key), LList):
        seq: LList = node[key]
        for item, where in zip(seq, seq.item_where, strict=True):
            if isinstance(item, LDict):
                yield item, where


def _structure_problems(root: LDict) -> list[Problem]:
    """Id format, uniqueness and nesting, and grade order, located by line."""
    triples: list[tuple[str, str, str | None]] = []
    places: list[Where] = []

    def add(level: str, node: LDict, parent: str | None) -> str | None:
        ident = node.get("id")
        if isinstance(ident, str):
            triples.append((level, ident, parent))
            places.append(node.key_where["id"])
            return ident
        return None

    for dom, _ in _items(root, "domains"):
        d_id = add("domain", dom, None)
        for req, _ in _items(dom, "requirements"):
            r_id = add("requirement", req, d_id) if d_id else None
            for ind, _ in _items(req, "indicators"):
                if r_id:
                    add("indicator", ind, r_id)
    out = []
    for prob in id_problems(triples):
        reason = prob.reason
        if prob.first is not None:
            first = places[prob.first]
            reason += f" (first used on line {first[1]}" + (
                ")" if first[0] == places[prob.pos][0] else f" of {first[0]})")
        out.append(Problem(reason, *places[prob.pos]))

    pairs: list[tuple[int, float]] = []
    grade_places: list[Where] = []
    for grade, where in _items(root, "grades"):
        level: Any = grade.get("level")
        low: Any = grade.get("min")
        if _is_number(level) and _is_number(low):
            pairs.append((int(level), float(low)))
            grade_places.append(where)
    if pairs:
        out += [Problem(f"grade {pairs[pos][0]}: {reason}", *grade_places[pos])
                for pos, reason in grade_problems(pairs)]
    return out


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_echo(err: Any, skip: set[tuple[Any, ...]], skip_cross: bool) -> bool:
    """Whether a pydantic error only repeats a problem reported otherwise."""
    loc = tuple(err["loc"])
    if not loc:
        return skip_cross  # the framework-wide checks, already reported with lines
    if any(loc[: len(prefix)] == prefix for prefix in skip):
        return True  # inside a domain whose file could not be read
    if err["type"] == "too_short" and err.get("input"):
        return True  # pydantic's echo of errors in the items themselves
    return err["type"] == "string_pattern_mismatch" and loc[-1] == "id"


def _pydantic_problems(exc: ValidationError, root: LDict, skip: set[tuple[Any, ...]],
                       skip_cross: bool) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors():
        if _is_echo(err, skip, skip_cross):
            continue
        where, owner, rest = _locate(root, tuple(err["loc"]))
        out.append(Problem(f"{owner}: {_reason(err, rest)}" if owner else _reason(err, rest),
                           where[0], where[1]))
    return out


def _locate(root: LDict, loc: tuple[Any, ...]) -> tuple[Where, str, tuple[Any, ...]]:
    """Follow a pydantic error location through the located tree.

    Returns the (file, line) of the deepest part found, a label for the object the error
    belongs to (e.g. ``indicator D1.R1.I2``) and the rest of the location below that object.
    """
    node: Any = root
    where: Where = root.where
    owner = "framework"
    owner_depth = 0
    for depth, part in enumerate(loc):
        if isinstance(node, LDict) and part in node:
            where = node.key_where[part]
            node = node[part]
        elif isinstance(node, LList) and isinstance(part, int) and 0 <= part < len(node):
            where = node.item_where[part]
            level = _CHILDREN.get(str(loc[depth - 1])) if depth else None
            node = node[part]
            if level and isinstance(node, LDict):
                ident = node.get("id", node.get("level", part + 1))
                owner, owner_depth = f"{level} {ident}", depth + 1
        else:
            break
    return where, owner, loc[owner_depth:]


def _reason(err: Any, rest: tuple[Any, ...]) -> str:
    field = ".".join(str(p) for p in rest)
    kind, got = err["type"], err.get("input")
    if kind == "missing":
        return f"missing required key {field!r}"
    if kind == "extra_forbidden":
        return f"unknown key {field!r}"
    if kind in ("greater_than", "greater_than_equal") and rest and rest[-1] == "weight":
        return f"'weight' must be a positive number, got {got!r}"
    if rest and rest[-1] == "direction":
        return f"'direction' must be 1 (higher is better) or -1 (lower is better), got {got!r}"
    if got is None and field:
        return f"{field!r} is empty"
    if kind == "too_short":
        return f"{field!r} is empty: at least one is needed"
    msg = err["msg"].removeprefix("Value error, ")
    if not field:
        return msg
    shown = repr(got)
    return f"{field!r}: {msg} (got {shown if len(shown) <= 60 else shown[:57] + '...'})"


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return sorted(out, key=lambda p: (p.file or "", p.row or 0))
