"""Reading the files evaluators have: CSV (also gzipped), Excel workbooks and JSON records.

Every reader returns the table with all cells as text (so that the checks, not the reader, decide
what is a number) and a column of spreadsheet-style row numbers: the header is row 1, the first
record row 2 (JSON: the first record is row 1).
"""

from __future__ import annotations

import gzip
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from zhicheng.errors import Problem

#: Name of the column that carries each record's row number in the source file.
ROW = "__row__"


class ReadFailure(Exception):
    """The file cannot be read as a table (carries the located problem)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(frozen=True)
class SourceTable:
    """A file read as text cells, with its row numbers and its raw bytes (for the checksum)."""

    name: str
    frame: pd.DataFrame
    raw: bytes


def file_format(path: Path) -> str:
    """``csv``, ``xlsx`` or ``json`` from the file name (``.gz`` is looked through)."""
    suffixes = [s.lower() for s in path.suffixes if s.lower() != ".gz"]
    last = suffixes[-1] if suffixes else ""
    if last in {".csv", ".tsv", ".txt"}:
        return "csv"
    if last in {".xlsx", ".xlsm"}:
        return "xlsx"
    if last in {".json", ".geojson"}:
        return "json"
    raise ReadFailure(Problem(f"unknown file type {last or '(none)'!r}: use .csv, .xlsx or .json", str(path)))


def _decode(data: bytes, encoding: str | None, name: str) -> str:
    """Decode ``data``; without a declared encoding UTF-8 (with or without BOM) is required."""
    enc = encoding or "utf-8-sig"
    try:
        return data.decode(enc)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        hint = "" if encoding else " (declare the file's encoding in the mapping, e.g. `encoding: gb18030`)"
        raise ReadFailure(
            Problem(f"bad encoding: byte {exc.start} is not valid {enc}{hint}", name, line)
        ) from None
    except LookupError:
        raise ReadFailure(Problem(f"unknown encoding {enc!r}", name)) from None


_WRAP_NEAR_CJK = re.compile(r"(?<=[^\x00-\x7f()])\s*[\r\n]+\s*|\s*[\r\n]+\s*(?=[^\x00-\x7f()])|\s*[\r\n]+\s*(?=\()")


def header_key(name: object) -> str:
    r"""A header as matched against mappings: wrapped yearbook headers joined, blanks trimmed.

    A line break next to Chinese text or before a bracket disappears (``常住人口\n(万人)`` →
    ``常住人口(万人)``); elsewhere it becomes one space.
    """
    text = _WRAP_NEAR_CJK.sub("", str(name))
    return " ".join(text.split())


def _strip_headers(frame: pd.DataFrame) -> pd.DataFrame:
    frame.columns = [c if c == ROW else header_key(c) for c in frame.columns]
    return frame


def _read_csv(data: bytes, name: str, encoding: str | None) -> pd.DataFrame:
    text = _decode(data, encoding, name)
    if not text.strip():
        raise ReadFailure(Problem("file is empty", name))
    sep = "\t" if name.lower().removesuffix(".gz").endswith(".tsv") else ","
    try:
        frame = pd.read_csv(
            io.StringIO(text), dtype=str, keep_default_na=False, sep=sep, skipinitialspace=True
        )
    except pd.errors.ParserError as exc:
        raise ReadFailure(Problem(f"not a well-formed CSV table: {exc}", name)) from None
    frame[ROW] = pd.RangeIndex(2, len(frame) + 2)
    return frame


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> pd.DataFrame:
    try:
        frame = pd.read_excel(
            io.BytesIO(data), sheet_name=sheet or 0, dtype=str, keep_default_na=False, engine="openpyxl"
        )
    except ValueError as exc:
        raise ReadFailure(Problem(f"cannot read the workbook: {exc}", name)) from None
    except Exception as exc:  # noqa: BLE001 - openpyxl raises zipfile/xml errors for non-workbooks
        raise ReadFailure(Problem(f"not an Excel workbook ({type(exc).__name__})", name)) from None
    frame[ROW] = pd.RangeIndex(2, len(frame) + 2)
    return frame


def _read_json(data: bytes, name: str, encoding: str | None) -> pd.DataFrame:
    text = _decode(data, encoding, name)
    if not text.strip():
        raise ReadFailure(Problem("file is empty", name))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ReadFailure(Problem(f"not valid JSON: {exc.msg} (column {exc.colno})", name, exc.lineno)) from None
    records = doc.get("data", doc.get("records")) if isinstance(doc, dict) else doc
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ReadFailure(
            Problem('JSON must be a list of records (objects) or {"data": [records…]}', name)
        )
    frame = pd.DataFrame.from_records(records)
    frame = frame.astype(object).where(frame.notna(), "").astype(str)
    frame[ROW] = pd.RangeIndex(1, len(frame) + 1)
    return frame


def read_source(path: Path, *, encoding: str | None = None, sheet: str | None = None) -> SourceTable:
    """Read ``path`` as a table of text cells.

    Raises
    ------
    ReadFailure
        When the file is empty, badly encoded, not of its declared type, or has no data rows.
    """
    name = str(path)
    raw = path.read_bytes()
    if not raw:
        raise ReadFailure(Problem("file is empty", name))
    fmt = file_format(path)
    data = raw
    if path.suffix.lower() == ".gz":
        try:
            data = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ReadFailure(Problem(f"not a readable gzip file: {exc}", name)) from None
    if fmt == "csv":
        frame = _read_csv(data, name, encoding)
    elif fmt == "xlsx":
        frame = _read_xlsx(data, name, sheet)
    else:
        frame = _read_json(data, name, encoding)
    if frame.empty:
        raise ReadFailure(Problem("file has a header but no data rows", name))
    return SourceTable(name=name, frame=_strip_headers(frame), raw=raw)
