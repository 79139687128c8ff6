"""Shared helpers of the campaign tests: a store with real units, real evidence files, tokens."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy.engine import Engine

from zhicheng.campaign import Actor
from zhicheng.evaluate import ingest_file

#: Two districts of Guangzhou and the city itself (codes as GB/T 2260).
UNITS_CSV = """code,name,province_code,province
440103,荔湾区,440100,广州市
440104,越秀区,440100,广州市
"""
UNITS_MAPPING = """kind: units
code: code
name_zh: name
parent_code: province_code
parent_name_zh: province
"""
DISTRICTS = ["440103", "440104"]
STATS = "统计局"
ENV = "生态环境局"
#: A statistic of each department and one checklist item (the sixth domain's coordination mechanism).
GIGABIT = "D1.R1.I3"  # 千兆光网家庭覆盖率 [%], statistic
ONLINE = "D1.R2.I1"  # 政务服务事项全程网办率 [%], statistic
COORDINATION = "D6.R1.I1"  # 统筹机制建设达标率 [%], checklist

ALICE = Actor("alice", "analyst", STATS)
CAROL = Actor("carol", "analyst", STATS)
BOB = Actor("bob", "analyst", ENV)
REVIEWER = Actor("rita", "reviewer")
ADMIN = Actor("root", "admin")


def load_units(engine: Engine, folder: Path) -> None:
    """Write the districts (and their city) through the real intake."""
    data = folder / "units.csv"
    mapping = folder / "units.yaml"
    data.write_text(UNITS_CSV, encoding="utf-8")
    mapping.write_text(UNITS_MAPPING, encoding="utf-8")
    ingest_file(engine, data, mapping=mapping)


def pdf_bytes(text: str = "evidence") -> bytes:
    """A small, well-formed one-page PDF."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % i + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for off in offsets:
        out.write(b"%010d 00000 n \n" % off)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def png_bytes(width: int = 4, height: int = 3) -> bytes:
    """A real grey PNG image."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = b"".join(b"\x00" + bytes([128] * width) for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def xlsx_bytes(rows: list[list[object]] | None = None) -> bytes:
    """A real workbook written by openpyxl."""
    book = Workbook()
    sheet = book.active
    for row in rows or [["指标", "数值"], ["千兆光网家庭覆盖率", 87.5]]:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


#: The start of a JPEG/JFIF file (SOI and APP0 markers): what the type check reads.
JPEG_HEAD = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
