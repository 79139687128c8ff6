"""Derived indicators: arithmetic expressions over named series, evaluated column-wise.

Mappings compute indicators such as GDP per capita (``gdp / pop``) or a spending share
(``edu / spend * 100``) from raw columns. Only names, numbers and ``+ - * / **`` are allowed
(checked by :func:`zhicheng.evaluate.mapping.expression_names`); evaluation is vectorised over
whole columns.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable

import numpy as np
import pandas as pd

_BINARY: dict[type[ast.operator], Callable[[object, object], object]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}


class DeriveFailure(Exception):
    """An expression cannot be evaluated (unknown name, unsupported syntax)."""


def _eval(node: ast.AST, frame: pd.DataFrame) -> object:
    if isinstance(node, ast.Expression):
        return _eval(node.body, frame)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in frame.columns:
            # A declared series with no value in this file: every derived value is missing.
            return pd.Series(np.nan, index=frame.index)
        return frame[node.id].astype(float)
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _BINARY[type(node.op)](_eval(node.left, frame), _eval(node.right, frame))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        value = _eval(node.operand, frame)
        return -value if isinstance(node.op, ast.USub) else value  # type: ignore[operator]
    raise DeriveFailure(f"unsupported expression element {type(node).__name__}")


def evaluate_expression(expr: str, frame: pd.DataFrame) -> pd.Series:
    """Evaluate ``expr`` over the columns of ``frame``; division by zero gives ±inf (checked later)."""
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise DeriveFailure(f"expression {expr!r} is not valid: {exc.msg}") from None
    with np.errstate(divide="ignore", invalid="ignore"):
        result = _eval(tree, frame)
    if not isinstance(result, pd.Series):
        return pd.Series(float(result), index=frame.index)  # type: ignore[arg-type]
    # 0/0 is NaN (no value); x/0 is inf and reported as a problem by the caller.
    return result.astype(float)
