"""Clean text in: the characters no input may carry, and the shape limits of JSON input.

Refused everywhere text enters (HTTP bodies, forms and query strings, MQTT payloads): the C0
control characters other than tab, line feed and carriage return (NUL included), lone UTF-16 surrogates (U+D800–U+DFFF, which no UTF-8 text can hold) and
the non-characters U+FFFE and U+FFFF. None of them can be written in an XML 1.0 document, so
what is stored can always be served as XML (Open311 ``requests.xml``) and as UTF-8 JSON.

References
----------
W3C XML 1.0 (Fifth Edition) §2.2 Characters, production [2] ``Char``; RFC 8259 §7 (JSON strings)
and §8.2 (unpaired surrogates); Unicode 15 §23.7 (noncharacters).
"""

from __future__ import annotations

import json
import re
from typing import Any

from zhicheng.errors import Invalid, Problem

#: Characters refused in any text input (see the module's docstring).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: Characters an XML 1.0 document cannot hold, not even as character references (production [2]).
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
#: Members whose size is bounded at write (free-form JSON of SensorThings entities).
BOUNDED_MEMBERS = ("properties", "parameters")


def bad_character(text: str) -> str | None:
    """A description of the first refused character of ``text`` (``U+000B at 4``), or None."""
    found = FORBIDDEN.search(text)
    if found is None:
        return None
    return f"U+{ord(found.group()):04X} at position {found.start()}"


def xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold replaced by U+FFFD (for data stored before the checks)."""
    return NOT_XML.sub("\ufffd", text)


def check_text(text: str, field: str) -> None:
    """Raise :class:`~zhicheng.errors.Invalid` naming ``field`` when ``text`` has a refused character."""
    bad = bad_character(text)
    if bad is not None:
        raise Invalid(problems=[Problem(f"{field}: control character or lone surrogate {bad} is not allowed",
                                        column=field)])


def check_json(value: Any, *, max_depth: int, max_member_bytes: int, root: str = "body") -> None:
    """Refuse a JSON value too deep, with a refused character, or with too large free-form members.

    Deeper than ``max_depth`` levels, any string with a :data:`FORBIDDEN` character, or a
    ``properties``/``parameters`` member of more than ``max_member_bytes`` of JSON: the error names the field.
    """
    stack: list[tuple[Any, str, int]] = [(value, root, 0)]
    while stack:
        node, where, depth = stack.pop()
        if isinstance(node, str):
            check_text(node, where)
            continue
        if not isinstance(node, (dict, list)):
            continue
        if depth >= max_depth:
            field = where if len(where) <= 80 else where[:77] + "…"
            raise Invalid(problems=[Problem(f"{field}: JSON nested deeper than {max_depth} levels", column=field)])
        if isinstance(node, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(node))
            continue
        for key, item in node.items():
            check_text(key, f"{where} (a member name)")
            path = f"{where}.{key}"
            if key in BOUNDED_MEMBERS and isinstance(item, (dict, list)):
                size = _size(item, path, max_depth - depth)
                if size > max_member_bytes:
                    raise Invalid(problems=[Problem(
                        f"{path}: {size} bytes of JSON, more than the {max_member_bytes} allowed", column=path)])
            stack.append((item, path, depth + 1))


def bounded_copy(value: Any, max_depth: int, marker: str = "…") -> Any:
    """``value`` with everything nested deeper than ``max_depth`` replaced by ``marker``.

    For answering with data stored before the limits existed: serializing it can then never fail.
    """
    if max_depth <= 0:
        return marker if isinstance(value, (dict, list)) else value
    if isinstance(value, dict):
        return {k: bounded_copy(v, max_depth - 1, marker) for k, v in value.items()}
    if isinstance(value, list):
        return [bounded_copy(v, max_depth - 1, marker) for v in value]
    return value


def _size(value: Any, where: str, depth_left: int) -> int:
    try:
        return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass"))
    except (RecursionError, ValueError):
        raise Invalid(problems=[Problem(f"{where}: JSON nested too deep", column=where)]) from None


def parse_json_text(raw: bytes | str, *, max_depth: int, max_member_bytes: int, root: str = "body") -> Any:
    """``raw`` as JSON, checked by :func:`check_json`; a malformed or too deep text is :class:`Invalid`."""
    try:
        value = json.loads(raw, parse_constant=_no_constants)
    except RecursionError:
        raise Invalid(problems=[Problem(f"{root}: JSON nested deeper than {max_depth} levels", column=root)]) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise Invalid(problems=[Problem(f"malformed JSON: {exc}", column=root)]) from None
    check_json(value, max_depth=max_depth, max_member_bytes=max_member_bytes, root=root)
    return value


def _no_constants(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")
