"""Settings, declared once (environment prefix ``ZHICHENG_``)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Process-wide settings read from the environment."""

    model_config = SettingsConfigDict(env_prefix="ZHICHENG_", extra="ignore")

    #: The store: a SQLite file path or an SQLAlchemy URL (``postgresql+psycopg://…``).
    db: str = str(Path("zhicheng.db"))
    #: Reads of evaluation results and public environment data need no token when true.
    open_reads: bool = True
    #: An Open311 ``api_key`` that lets anyone (a city app, a kiosk) submit citizen reports through
    #: ``POST requests``; unset, only tokens with role operator, admin or sensor may submit.
    open311_public_key: SecretStr | None = None
    #: A city's own events service catalogue (YAML, same layout as the packaged ``services.yaml``);
    #: unset, the packaged one is used.
    events_catalogue: str | None = None


def get_settings() -> Settings:
    """Settings as the environment gives them now."""
    return Settings()
