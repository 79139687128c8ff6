"""Settings of the campaign service (environment prefix ``ZHICHENG_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import Engine

#: Default largest evidence file [bytes] (10 MiB; the server refuses bodies over 16 MiB anyway).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


class CampaignSettings(BaseSettings):
    """Where evidence files are kept and how large they may be.

    ``ZHICHENG_EVIDENCE_DIR``: folder of the content-addressed evidence files; unset, an
    ``evidence`` folder next to the SQLite store (or ``./evidence`` for a PostgreSQL store).
    ``ZHICHENG_EVIDENCE_MAX_BYTES``: largest accepted file [bytes]. ``ZHICHENG_EVIDENCE_MAX_FILES``:
    most files one submission may carry.
    """

    model_config = SettingsConfigDict(env_prefix="ZHICHENG_", extra="ignore")

    evidence_dir: str | None = None
    evidence_max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0)
    evidence_max_files: int = Field(default=20, gt=0)

    def evidence_root(self, engine: Engine | None = None) -> Path:
        """The evidence folder for a store: the setting, else next to a SQLite file, else ``./evidence``."""
        if self.evidence_dir:
            return Path(self.evidence_dir).expanduser().resolve()
        if engine is not None and engine.url.get_backend_name() == "sqlite":
            database = engine.url.database
            if database and database != ":memory:":
                return Path(database).expanduser().resolve().parent / "evidence"
        return Path("evidence").resolve()
