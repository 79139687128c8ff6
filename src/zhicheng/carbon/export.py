"""Tables of the carbon service written as CSV, XLSX or JSON, atomically and formula-safe."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

FORMATS = ("csv", "xlsx", "json")
#: Leading characters a spreadsheet reads as a formula: text cells starting so get a quote.
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula, prefixed with ``'`` (numbers untouched)."""
    out = frame.copy()
    for col in out.columns:
        if out[col].dtype == object:
            out[col] = out[col].map(lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA) else v)
    return out


def to_text(frame: pd.DataFrame, fmt: str) -> str:
    """The frame as CSV or JSON text (records; UTF-8, Chinese kept as is)."""
    if fmt == "csv":
        return str(safe_text(frame).to_csv(index=False))
    if fmt == "json":
        return str(frame.to_json(orient="records", force_ascii=False, indent=1))
    raise ValueError(f"unknown text format {fmt!r}: csv or json")


def write(frame: pd.DataFrame, path: Path, fmt: str, sheet: str = "carbon") -> Path:
    """Write ``frame`` to ``path`` as ``fmt`` through a temporary file renamed into place (atomic)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: use {', '.join(FORMATS)}")
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=".zhicheng-", suffix=path.suffix, dir=path.parent if str(path.parent) else ".")
    os.close(fd)
    try:
        if fmt == "xlsx":
            safe_text(frame).to_excel(tmp, index=False, sheet_name=sheet[:31], engine="openpyxl")
        else:
            Path(tmp).write_text(to_text(frame, fmt), encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
