"""Evidence files: checked by their own bytes, stored content-addressed by SHA-256, never executed.

A file is accepted only when its name ends in an accepted extension (``.pdf``, ``.xlsx``,
``.png``, ``.jpg``/``.jpeg``) *and* its first bytes are those of that format (an XLSX must be a ZIP
holding a workbook and no macro project). Files are first written to a staging folder while their
size is counted and their digest computed, so an oversized upload is cut off without being kept;
only when every file of a request passed are they moved into place (``ab/abcdef…`` under the
evidence root). Files are written without execute permission and served only as attachments.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from zhicheng.campaign.errors import EvidenceRefused, EvidenceTooLarge
from zhicheng.errors import Problem

PDF = "application/pdf"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PNG = "image/png"
JPEG = "image/jpeg"
#: Accepted extensions and the media type their bytes must show.
EXTENSIONS = {".pdf": PDF, ".xlsx": XLSX, ".png": PNG, ".jpg": JPEG, ".jpeg": JPEG}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHUNK = 1024 * 1024
_UNSAFE = re.compile(r"[\x00-\x1f\x7f\"\\/:*?<>|]+")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class StagedFile:
    """A checked file waiting in the staging folder: its digest, safe name, media type and size."""

    sha256: str
    filename: str
    media_type: str
    size: int
    staged: Path


@dataclass(frozen=True)
class PlacedFile:
    """A file moved into the store; ``created`` is False when the same content was already there."""

    sha256: str
    filename: str
    media_type: str
    size: int
    created: bool


def safe_filename(name: str) -> str:
    """The last path part of ``name`` without control or shell-special characters (≤ 200 chars)."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = _UNSAFE.sub("_", base).strip(" .") or "evidence"
    if len(base) > 200:
        stem, suffix = os.path.splitext(base)
        base = stem[: 200 - len(suffix)] + suffix
    return base


def _is_xlsx(path: Path) -> bool:
    """A ZIP package holding a workbook part and no VBA macro project."""
    try:
        with zipfile.ZipFile(path) as package:
            names = set(package.namelist())
    except (zipfile.BadZipFile, OSError):
        return False
    has_workbook = "[Content_Types].xml" in names and "xl/workbook.xml" in names
    return has_workbook and not any(n.lower().endswith("vbaproject.bin") for n in names)


def sniff(head: bytes, path: Path) -> str | None:
    """The media type shown by a file's first bytes (and, for a ZIP, its parts), or None."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(_PNG_SIGNATURE):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"PK\x03\x04") and _is_xlsx(path):
        return XLSX
    return None


class EvidenceStore:
    """The folder of evidence files: ``<root>/<sha[:2]>/<sha>``, staged under ``<root>/.incoming``."""

    def __init__(self, root: Path, max_bytes: int, max_files: int = 20) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.max_files = max_files

    def path_for(self, sha256: str) -> Path:
        """Where the file with digest ``sha256`` is kept."""
        if not _HEX64.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def _incoming(self) -> Path:
        folder = self.root / ".incoming"
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def _copy(self, stream: BinaryIO, target: Path, name: str) -> tuple[str, int, bytes]:
        """Copy ``stream`` to ``target`` while hashing; stops as soon as it exceeds the limit."""
        digest = hashlib.sha256()
        size = 0
        head = b""
        with open(target, "xb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > self.max_bytes:
                    raise EvidenceTooLarge(problems=[Problem(
                        f"file larger than the limit of {self.max_bytes:,} bytes", name)])
                if len(head) < 16:
                    head += chunk[:16]
                digest.update(chunk)
                out.write(chunk)
        return digest.hexdigest(), size, head

    def stage(self, name: str, stream: BinaryIO) -> StagedFile:
        """Copy one upload to the staging folder and check it; raises and keeps nothing if it fails."""
        filename = safe_filename(name)
        expected = EXTENSIONS.get(Path(filename).suffix.lower())
        if expected is None:
            raise EvidenceRefused(problems=[Problem(
                f"file type not accepted (use {', '.join(sorted(EXTENSIONS))})", filename)])
        target = self._incoming() / uuid.uuid4().hex
        try:
            sha, size, head = self._copy(stream, target, filename)
            if size == 0:
                raise EvidenceRefused(problems=[Problem("empty file", filename)])
            found = sniff(head, target)
            if found != expected:
                what = "unknown content" if found is None else f"content of type {found}"
                raise EvidenceRefused(problems=[Problem(
                    f"the file's bytes are not {expected} ({what}); only PDF, XLSX, PNG and JPEG are accepted",
                    filename)])
        except BaseException:
            target.unlink(missing_ok=True)
            raise
        os.chmod(target, 0o640)
        return StagedFile(sha256=sha, filename=filename, media_type=expected, size=size, staged=target)

    def stage_all(self, uploads: Iterable[tuple[str, BinaryIO]]) -> list[StagedFile]:
        """Stage every upload; when any fails, none is kept and every problem is raised at once."""
        items = list(uploads)
        if len(items) > self.max_files:
            raise EvidenceTooLarge(problems=[Problem(f"{len(items)} files: at most {self.max_files} per submission")])
        staged: list[StagedFile] = []
        problems: list[Problem] = []
        too_large = False
        for name, stream in items:
            try:
                staged.append(self.stage(name, stream))
            except EvidenceRefused as exc:
                problems += exc.problems
                too_large = too_large or isinstance(exc, EvidenceTooLarge)
        if problems:
            self.discard(staged)
            raise (EvidenceTooLarge if too_large else EvidenceRefused)(problems=problems)
        return staged

    def discard(self, staged: Iterable[StagedFile]) -> None:
        """Remove staged files (a request that failed)."""
        for item in staged:
            item.staged.unlink(missing_ok=True)

    def place(self, staged: Iterable[StagedFile]) -> list[PlacedFile]:
        """Move staged files to their content address; the same content is kept once."""
        placed = []
        for item in staged:
            final = self.path_for(item.sha256)
            final.parent.mkdir(parents=True, exist_ok=True)
            created = not final.exists()
            if created:
                os.replace(item.staged, final)
            else:
                item.staged.unlink(missing_ok=True)
            placed.append(PlacedFile(item.sha256, item.filename, item.media_type, item.size, created))
        return placed

    def remove(self, sha256: str) -> None:
        """Delete a stored file (only when no evidence row refers to it any more)."""
        with contextlib.suppress(FileNotFoundError):
            self.path_for(sha256).unlink()

    def open(self, sha256: str) -> Path:
        """The path of a stored file, checked against its digest's address."""
        path = self.path_for(sha256)
        if not path.is_file():
            raise FileNotFoundError(str(path))
        return path
