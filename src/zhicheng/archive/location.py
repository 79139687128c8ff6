"""Where the archive lives: a local folder or an object store, through fsspec.

A plain path is a local folder; a URL (``s3://bucket/prefix``, ``gs://…``, ``abfs://…``) goes to
the fsspec filesystem of its scheme, whose package (``s3fs``, ``gcsfs``, ``adlfs``) must be
installed. Only local folders are exercised by the tests (no object store is reachable offline);
on object stores a rename is a copy and a delete, so the final name of a file appears at once but
not atomically: the manifest, not the listing, says which files are part of the archive.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import fsspec

#: The file that lists the committed Parquet files (for engines that read the archive without
#: the store); rewritten atomically after every run.
MANIFEST = "manifest.json"
#: The Datastreams of the archived observations (station, pollutant, unit), as Parquet.
DATASTREAMS = "datastreams.parquet"


@dataclass(frozen=True)
class Location:
    """An archive root on a filesystem."""

    fs: Any
    root: str
    url: str

    @classmethod
    def open(cls, url: str) -> Location:
        """The archive at ``url`` (a folder is created when missing)."""
        fs, root = fsspec.core.url_to_fs(url)
        root = root.rstrip("/")
        fs.makedirs(root, exist_ok=True)
        return cls(fs=fs, root=root, url=url)

    def path(self, relative: str) -> str:
        """Full path of a file given relative to the root."""
        return f"{self.root}/{relative}" if relative else self.root

    def uri(self, relative: str) -> str:
        """The file as a URL an engine can read (local: the path itself)."""
        full = self.path(relative)
        protocol = self.fs.protocol if isinstance(self.fs.protocol, str) else self.fs.protocol[0]
        return full if protocol in ("file", "local") else f"{protocol}://{full}"

    def exists(self, relative: str) -> bool:
        """Whether the file exists."""
        return bool(self.fs.exists(self.path(relative)))

    def remove(self, relative: str) -> None:
        """Delete the file if it is there."""
        if self.exists(relative):
            self.fs.rm(self.path(relative))

    def rename(self, source: str, target: str) -> None:
        """Give ``source`` the name ``target`` (atomic on a local filesystem)."""
        self.fs.mv(self.path(source), self.path(target))

    def sha256(self, relative: str) -> tuple[str, int]:
        """SHA-256 (hex) and size [bytes] of the file's content."""
        digest = hashlib.sha256()
        size = 0
        with self.fs.open(self.path(relative), "rb") as fh:
            while chunk := fh.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
        return digest.hexdigest(), size

    def temporary_files(self) -> list[str]:
        """Relative paths of partition files left under a temporary name."""
        found = self.fs.glob(self.path("year=*/month=*/.*.tmp"))
        return [str(p)[len(self.root) + 1 :] for p in found]

    def write_json(self, relative: str, document: Any) -> None:
        """Write a JSON document atomically (a temporary name, then a rename)."""
        tmp = f"{relative}.tmp"
        with self.fs.open(self.path(tmp), "wb") as fh:
            fh.write(json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
        self.rename(tmp, relative)

    def read_json(self, relative: str) -> Any:
        """A JSON document, or None when the file is not there."""
        if not self.exists(relative):
            return None
        with self.fs.open(self.path(relative), "rb") as fh:
            return json.loads(fh.read().decode("utf-8"))
