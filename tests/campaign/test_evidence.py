"""Evidence files: type by magic bytes, size limit while streaming, content addressing, no leftovers."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from tests.support.campaign import JPEG_HEAD, pdf_bytes, png_bytes, xlsx_bytes
from zhicheng.campaign import CampaignSettings, EvidenceRefused, EvidenceStore, EvidenceTooLarge
from zhicheng.campaign.evidence import JPEG, PDF, PNG, XLSX, safe_filename
from zhicheng.store import open_store


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


@pytest.fixture
def evidence(tmp_path: Path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "ev", max_bytes=16384, max_files=3)


@pytest.mark.parametrize(("name", "data", "media"), [
    ("a.pdf", pdf_bytes(), PDF), ("b.PNG", png_bytes(), PNG), ("c.jpeg", JPEG_HEAD, JPEG), ("d.jpg", JPEG_HEAD, JPEG),
    ("表.xlsx", xlsx_bytes(), XLSX),
])
def test_accepted_types_are_stored_by_digest(evidence: EvidenceStore, name: str, data: bytes, media: str) -> None:
    staged = evidence.stage_all([(name, io.BytesIO(data))])
    placed = evidence.place(staged)
    digest = hashlib.sha256(data).hexdigest()
    assert [(p.sha256, p.media_type, p.size, p.created) for p in placed] == [(digest, media, len(data), True)]
    path = evidence.open(digest)
    assert path == evidence.root / digest[:2] / digest and path.read_bytes() == data
    assert path.stat().st_mode & 0o777 == 0o640
    # The same content again is kept once.
    again = evidence.place(evidence.stage_all([("copy-" + name, io.BytesIO(data))]))
    assert again[0].created is False and _files(evidence.root) == [path]


@pytest.mark.parametrize(("name", "data", "reason"), [
    ("a.txt", b"hello", "file type not accepted"),
    ("a.pdf", png_bytes(), "bytes are not application/pdf (content of type image/png)"),
    ("a.png", b"GIF89a....", "bytes are not image/png (unknown content)"),
    ("a.xlsx", b"PK\x03\x04garbage", "bytes are not application/vnd.openxmlformats"),
    ("a.pdf", b"", "empty file"),
    ("a.pdf.exe", pdf_bytes(), "file type not accepted"),
])
def test_refused_types(evidence: EvidenceStore, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(EvidenceRefused) as err:
        evidence.stage_all([(name, io.BytesIO(data))])
    assert not isinstance(err.value, EvidenceTooLarge)
    assert reason in str(err.value)
    assert _files(evidence.root) == []


def test_size_and_count_limits_report_every_file(evidence: EvidenceStore) -> None:
    big = pdf_bytes() + b" " * 16384
    with pytest.raises(EvidenceTooLarge) as err:
        evidence.stage_all([("ok.pdf", io.BytesIO(pdf_bytes())), ("big.pdf", io.BytesIO(big)),
                            ("x.gif", io.BytesIO(b"GIF89a"))])
    assert [(p.file, p.reason.split(" (")[0]) for p in err.value.problems] == [
        ("big.pdf", "file larger than the limit of 16,384 bytes"), ("x.gif", "file type not accepted")]
    assert _files(evidence.root) == []
    with pytest.raises(EvidenceTooLarge, match="at most 3 per submission"):
        evidence.stage_all([(f"{i}.pdf", io.BytesIO(pdf_bytes())) for i in range(4)])
    # Exactly at the limit is accepted.
    exact = pdf_bytes() + b" " * (16384 - len(pdf_bytes()))
    assert evidence.stage_all([("exact.pdf", io.BytesIO(exact))])[0].size == 16384


def test_safe_filenames() -> None:
    assert safe_filename("../../etc/passwd.pdf") == "passwd.pdf"
    assert safe_filename("C:\\Users\\x\\报告.pdf") == "报告.pdf"
    assert safe_filename('a"<b>\x00.pdf') == "a_b_.pdf"
    assert safe_filename("") == "evidence"
    assert len(safe_filename("x" * 300 + ".pdf")) == 200 and safe_filename("x" * 300 + ".pdf").endswith(".pdf")


def test_evidence_folder_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = open_store(tmp_path / "city" / "store.db")
    assert CampaignSettings().evidence_root(engine) == (tmp_path / "city" / "evidence").resolve()
    monkeypatch.setenv("ZHICHENG_EVIDENCE_DIR", str(tmp_path / "docs"))
    monkeypatch.setenv("ZHICHENG_EVIDENCE_MAX_BYTES", "1000")
    settings = CampaignSettings()
    assert settings.evidence_root(engine) == tmp_path / "docs" and settings.evidence_max_bytes == 1000
    monkeypatch.delenv("ZHICHENG_EVIDENCE_DIR")
    monkeypatch.chdir(tmp_path)
    assert CampaignSettings().evidence_root(None) == tmp_path / "evidence"
    engine.dispose()
