"""Reading YAML while remembering where every value came from (file and line).

PyYAML's safe loader is extended so that mappings and sequences are built as :class:`LDict` and
:class:`LList`, which record the file and the 1-based line of themselves and of each key or item.
Duplicate keys in one mapping, which PyYAML would silently overwrite, are recorded as problems.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import MappingNode, SequenceNode

from zhicheng.errors import Problem

#: Where a value is: (file, 1-based line).
Where = tuple[str, int]


class LDict(dict[Any, Any]):
    """A YAML mapping that knows its own location and the location of each of its keys."""

    where: Where
    key_where: dict[Any, Where]


class LList(list[Any]):
    """A YAML sequence that knows its own location and the location of each of its items."""

    where: Where
    item_where: list[Where]


class _LineLoader(yaml.SafeLoader):
    """A safe loader that builds located containers and collects duplicate-key problems."""

    file_name: str = ""
    problems: list[Problem]

    def _where(self, node: yaml.Node) -> Where:
        return (self.file_name, node.start_mark.line + 1)

    def construct_located_mapping(self, node: MappingNode) -> LDict:
        """Build an :class:`LDict` from a mapping node."""
        self.flatten_mapping(node)
        out = LDict()
        out.where = self._where(node)
        out.key_where = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                self.problems.append(
                    Problem("a mapping key must be a plain value", *self._where(key_node))
                )
                continue
            if key in out:
                first = out.key_where[key][1]
                self.problems.append(
                    Problem(f"duplicate key {key!r} (first given on line {first})",
                            *self._where(key_node))
                )
            out[key] = self.construct_object(value_node, deep=True)
            out.key_where[key] = self._where(key_node)
        return out

    def construct_located_sequence(self, node: SequenceNode) -> LList:
        """Build an :class:`LList` from a sequence node."""
        out = LList(self.construct_object(child, deep=True) for child in node.value)
        out.where = self._where(node)
        out.item_where = [self._where(child) for child in node.value]
        return out


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _LineLoader.construct_located_mapping
)
_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _LineLoader.construct_located_sequence
)


def read_located_yaml(text: str, file_name: str, problems: list[Problem]) -> Any:
    """Parse YAML ``text`` into located containers; append problems, never raise for bad YAML.

    Parameters
    ----------
    text
        The YAML document.
    file_name
        The name to report in problems and locations.
    problems
        Receives a located :class:`~zhicheng.errors.Problem` for unreadable YAML or a
        duplicate key.

    Returns
    -------
    The document's content (an :class:`LDict`, :class:`LList` or a scalar), or None when the
    text is not valid YAML.
    """
    loader = _LineLoader(text)
    loader.file_name = file_name
    loader.problems = []
    try:
        data = loader.get_single_data()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = str(exc.problem or exc)
        ctx = exc.context_mark
        if exc.context and ctx is not None and ctx.line + 1 != line:
            reason += f" ({exc.context} started on line {ctx.line + 1})"
        elif exc.context:
            reason = f"{exc.context}: {reason}"
        problems.append(Problem(f"invalid YAML: {reason}", file_name, line))
        return None
    except yaml.YAMLError as exc:
        problems.append(Problem(f"invalid YAML: {exc}", file_name))
        return None
    finally:
        loader.dispose()
    problems.extend(loader.problems)
    return data
