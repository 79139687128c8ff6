"""Lint: the cockpit's JavaScript never turns data into markup (STYLE.md convention 11).

The scripts are parsed with tree-sitter's JavaScript grammar. Markup is built only from template
literals whose every ``${…}`` is *safe*: a call of the shared ``escapeHtml`` (``esc`` is the same
function re-exported by ``format.js``), a literal, a nested safe template, a call of a function
whose every return value is safe (an HTML builder), a ``.map(cb).join(…)`` whose callback returns
safe values, a condition whose branches are safe, or a local constant bound to a safe value. A
parameter whose name ends in ``Html`` carries markup: every caller must pass a safe value for it.

Checked sinks: templates containing a tag, assignments to ``innerHTML``/``outerHTML``,
``insertAdjacentHTML`` and ``document.write`` calls, and ECharts ``tooltip`` formatters (whose
string ECharts puts into the page as HTML). Label formatters draw on the canvas, as text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from zhicheng.cockpit import STATIC_DIR

ts = pytest.importorskip("tree_sitter")
tsj = pytest.importorskip("tree_sitter_javascript")

JS_DIR = STATIC_DIR / "js"
SANITIZERS = frozenset({"escapeHtml", "esc"})
#: Methods whose result is a formatted number, whatever they are called on.
NUMERIC_METHODS = frozenset({"toFixed", "toPrecision"})
MARKUP = re.compile(r"<\s*[A-Za-z!/]")
PARSER = ts.Parser(ts.Language(tsj.language()))


def _text(node: Any) -> str:
    return node.text.decode()


def _walk(node: Any) -> Iterator[Any]:
    yield node
    for child in node.children:
        yield from _walk(child)


@dataclass
class Module:
    """One parsed script: its path, its tree, its constants and its functions by name."""

    path: Path
    root: Any
    constants: dict[str, list[tuple[Any, Any]]] = field(default_factory=dict)  # name → (scope key, value)
    functions: dict[str, object] = field(default_factory=dict)


def _function_params(fn: Any) -> list[str]:
    params = fn.child_by_field_name("parameters") or fn.child_by_field_name("parameter")
    if params is None:
        return []
    if params.type == "identifier":
        return [_text(params)]
    names = []
    for p in params.named_children:
        target = p.child_by_field_name("left") if p.type == "assignment_pattern" else p
        names.append(_text(target) if target is not None and target.type == "identifier" else "")
    return names


def _load(path: Path, source: str | None = None) -> Module:
    text = path.read_text(encoding="utf-8") if source is None else source
    module = Module(path=path, root=PARSER.parse(text.encode()).root_node)
    for node in _walk(module.root):
        if node.type == "function_declaration":
            module.functions[_text(node.child_by_field_name("name"))] = node
        elif node.type == "variable_declarator":
            name, value = node.child_by_field_name("name"), node.child_by_field_name("value")
            if name is None or value is None or name.type != "identifier":
                continue
            if value.type in ("arrow_function", "function_expression"):
                module.functions[_text(name)] = value
            else:
                module.constants.setdefault(_text(name), []).append((_key(_scope(node)), value))
    return module


SCOPES = ("program", "function_declaration", "arrow_function", "function_expression", "method_definition")


def _key(node: Any) -> tuple[int, int, str]:
    return (node.start_byte, node.end_byte, node.type)


def _scope(node: Any) -> Any:
    parent = node.parent
    while parent.type not in SCOPES:
        parent = parent.parent
    return parent


def resolve(module: Module, name: str, at: Any) -> list[Any]:
    """The values the constant ``name`` may hold where ``at`` uses it (the innermost scope's)."""
    declared = module.constants.get(name, [])
    scope = at
    while scope is not None:
        if scope.type in SCOPES:
            here = [value for key, value in declared if key == _key(scope)]
            if here:
                return here
        scope = scope.parent
    return []


class Checker:
    """Finds every place data could reach markup unescaped."""

    def __init__(self, modules: list[Module]) -> None:
        self.modules = modules
        self.functions: dict[str, object] = {}
        for m in modules:
            self.functions.update(m.functions)
        self.builders: dict[str, bool] = {}
        self.problems: list[str] = []

    def where(self, module: Module, node: Any) -> str:
        row = node.start_point[0] + 1
        return f"{module.path.relative_to(STATIC_DIR)}:{row}: {_text(node)[:90]!r}"

    # -- safety of one expression -------------------------------------------------------------
    def safe(self, module: Module, node: Any, params: frozenset[str] = frozenset()) -> bool:
        kind = node.type
        if kind in ("string", "number", "true", "false", "null", "undefined"):
            return True
        if kind == "parenthesized_expression":
            return all(self.safe(module, c, params) for c in node.named_children)
        if kind == "template_string":
            return all(self.safe(module, s.named_children[0], params)
                       for s in node.named_children if s.type == "template_substitution")
        if kind == "ternary_expression":
            return all(self.safe(module, node.child_by_field_name(f), params)
                       for f in ("consequence", "alternative"))
        if kind == "binary_expression":
            op = _text(node.child_by_field_name("operator"))
            right = self.safe(module, node.child_by_field_name("right"), params)
            if op == "&&":
                return right
            if op in ("+", "||", "??"):
                return right and self.safe(module, node.child_by_field_name("left"), params)
            return op in ("===", "!==", "==", "!=", "<", ">", "<=", ">=")  # booleans
        if kind == "identifier":
            name = _text(node)
            if name in params:
                return True
            values = resolve(module, name, node)
            return bool(values) and all(self.safe(module, v) for v in values)
        if kind == "call_expression":
            return self._safe_call(module, node, params)
        return False

    def _safe_call(self, module: Module, node: Any, params: frozenset[str]) -> bool:
        fn = node.child_by_field_name("function")
        if fn.type == "identifier":
            name = _text(fn)
            return name in SANITIZERS or name == "Number" or self.is_builder(name)
        if fn.type != "member_expression":
            return False
        method, target = _text(fn.child_by_field_name("property")), fn.child_by_field_name("object")
        if method in NUMERIC_METHODS or _text(target) == "Math":
            return True  # digits, signs and separators only
        if method == "format":
            return target.type == "new_expression" and _text(target.child_by_field_name("constructor")) == "Intl.NumberFormat"
        if method == "join":
            return self.safe_items(module, target, params)
        return False

    def safe_items(self, module: Module, node: Any, params: frozenset[str]) -> bool:
        """Every item of the array ``node`` (a literal, a ``.map(cb)`` or a constant) is safe."""
        if node.type == "array":
            return all(self.safe_items(module, e.named_children[0], params) if e.type == "spread_element"
                       else self.safe(module, e, params) for e in node.named_children)
        if node.type == "identifier":
            values = resolve(module, _text(node), node)
            return bool(values) and all(self.safe_items(module, v, params) for v in values)
        if node.type == "call_expression":
            callee = node.child_by_field_name("function")
            if callee.type == "member_expression" and _text(callee.child_by_field_name("property")) == "map":
                args = node.child_by_field_name("arguments").named_children
                if args and args[0].type == "identifier":
                    return _text(args[0]) in SANITIZERS
                return bool(args) and args[0].type in ("arrow_function", "function_expression") and self.returns_safe(module, args[0])
        return False

    def returns_safe(self, module: Module, fn: Any) -> bool:
        """Every value ``fn`` returns is safe (its ``*Html`` parameters count as safe)."""
        params = frozenset(p for p in _function_params(fn) if p.endswith("Html"))
        body = fn.child_by_field_name("body")
        if body.type != "statement_block":
            return self.safe(module, body, params)
        returns = [n for n in _walk(body) if n.type == "return_statement" and self._owner(n) == fn]
        return all(not r.named_children or self.safe(module, r.named_children[0], params) for r in returns)

    @staticmethod
    def _owner(node: Any) -> Any:
        parent = node.parent
        while parent.type not in ("function_declaration", "arrow_function", "function_expression", "method_definition"):
            parent = parent.parent
        return parent

    def is_builder(self, name: str) -> bool:
        if name not in self.builders:
            fn = self.functions.get(name)
            self.builders[name] = True  # assumed while checking itself (recursion)
            module = next((m for m in self.modules if name in m.functions), None)
            self.builders[name] = fn is not None and module is not None and self.returns_safe(module, fn)
        return self.builders[name]

    # -- the sinks ----------------------------------------------------------------------------
    def check(self, module: Module) -> None:
        for node in _walk(module.root):
            kind = node.type
            if kind == "template_string":
                self._check_template(module, node)
            elif kind in ("assignment_expression", "augmented_assignment_expression"):
                left = node.child_by_field_name("left")
                if left.type == "member_expression" and _text(left.child_by_field_name("property")) in ("innerHTML", "outerHTML"):
                    self._require(module, node.child_by_field_name("right"), node)
            elif kind == "call_expression":
                self._check_call(module, node)
            elif kind == "pair" and _text(node.child_by_field_name("key")) == "formatter":
                self._check_formatter(module, node)

    def _params_in_scope(self, node: Any) -> frozenset[str]:
        names: set[str] = set()
        parent = node.parent
        while parent is not None:
            if parent.type in ("function_declaration", "arrow_function", "function_expression"):
                names.update(p for p in _function_params(parent) if p.endswith("Html"))
            parent = parent.parent
        return frozenset(names)

    def _check_template(self, module: Module, node: Any) -> None:
        fragments = "".join(_text(c) for c in node.named_children if c.type == "string_fragment")
        if not MARKUP.search(fragments):
            return
        params = self._params_in_scope(node)
        for sub in node.named_children:
            if sub.type == "template_substitution" and not self.safe(module, sub.named_children[0], params):
                self.problems.append(f"unescaped data in markup: {self.where(module, sub)}")

    def _require(self, module: Module, value: Any, at: Any) -> None:
        if not self.safe(module, value, self._params_in_scope(at)):
            self.problems.append(f"unescaped data into an HTML sink: {self.where(module, at)}")

    def _check_call(self, module: Module, node: Any) -> None:
        fn = node.child_by_field_name("function")
        args = node.child_by_field_name("arguments").named_children
        if fn.type == "member_expression":
            prop = _text(fn.child_by_field_name("property"))
            if prop == "insertAdjacentHTML" and len(args) == 2:
                self._require(module, args[1], node)
            elif prop in ("write", "writeln") and _text(fn.child_by_field_name("object")) == "document":
                self.problems.append(f"document.write: {self.where(module, node)}")
        elif fn.type == "identifier" and _text(fn) in self.functions:
            for param, arg in zip(_function_params(self.functions[_text(fn)]), args, strict=False):
                if param.endswith("Html"):
                    self._require(module, arg, node)

    def _check_formatter(self, module: Module, pair: Any) -> None:
        obj = pair.parent
        owner = obj.parent if obj is not None else None
        if owner is None or owner.type != "pair" or _text(owner.child_by_field_name("key")) != "tooltip":
            return  # label formatters draw text on the canvas
        value = pair.child_by_field_name("value")
        if value.type in ("arrow_function", "function_expression"):
            ok = self.returns_safe(module, value)
        elif value.type == "call_expression" and value.child_by_field_name("function").type == "identifier":
            factory = self.functions.get(_text(value.child_by_field_name("function")))
            inner = [n for n in _walk(factory) if n.type in ("arrow_function", "function_expression")] if factory else []
            ok = bool(inner) and all(self.returns_safe(module, f) for f in inner)
        else:
            ok = value.type == "string"  # ECharts escapes the values of its {a}/{b}/{c} templates
        if not ok:
            self.problems.append(f"tooltip formatter returns unescaped data: {self.where(module, pair)}")


def _modules() -> list[Module]:
    return [_load(p) for p in sorted(JS_DIR.rglob("*.js"))]


def problems_in(modules: list[Module]) -> list[str]:
    """Every finding of the lint over ``modules``."""
    checker = Checker(modules)
    for m in modules:
        checker.check(m)
    return checker.problems


def test_no_data_becomes_markup() -> None:
    assert problems_in(_modules()) == []


def test_one_shared_escape_helper() -> None:
    # escapeHtml is defined once (dom.js); every other module imports it (format.js re-exports it as esc).
    defining = [m.path.name for m in _modules() if "escapeHtml" in m.functions or "esc" in m.functions]
    assert defining == ["dom.js"]


@pytest.mark.parametrize(("source", "found"), [
    ("el.innerHTML = `<b>${name}</b>`;", 2),  # the template and the sink
    ("el.innerHTML = name;", 1),
    ("el.insertAdjacentHTML('beforeend', `<i>${x.y}</i>`);", 2),
    ("const o = { tooltip: { formatter: (p) => `${p.name}<br>${p.value}` } };", 3),
    ("const o = { tooltip: { formatter: (p) => p.name } };", 1),
    ("function link(t, attrsHtml) { return `<a ${attrsHtml}>${esc(t)}</a>`; } link(1, x.y);", 1),
    ("el.innerHTML = rows.map((r) => `<td>${r.n}</td>`).join('');", 2),
    ("el.innerHTML = `<b>${esc(name)}</b>` + `<i>${n > 1 ? esc(n) : ''}</i>`;", 0),
    ("const o = { label: { formatter: (p) => `${p.name}` }, tooltip: { formatter: (p) => esc(p.name) } };", 0),
    ("function row(r) { return `<td>${esc(r.n)}</td>`; } el.innerHTML = row(x);", 0),
])
def test_the_lint_finds_unescaped_data(source: str, found: int) -> None:
    module = _load(JS_DIR / "probe.js", source)  # the path only names the findings
    assert len(problems_in([module])) == found, problems_in([module])
