"""Settings, declared once (environment prefix ``ZHICHENG_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings read from the environment."""

    model_config = SettingsConfigDict(env_prefix="ZHICHENG_", extra="ignore")

    #: The store: a SQLite file path or an SQLAlchemy URL (``postgresql+psycopg://…``).
    db: str = str(Path("zhicheng.db"))
    #: Reads of evaluation results and public environment data need no token when true.
    open_reads: bool = True


def get_settings() -> Settings:
    """Settings as the environment gives them now."""
    return Settings()
