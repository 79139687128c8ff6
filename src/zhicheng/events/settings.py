"""Settings of the events service (environment prefix ``ZHICHENG_``)."""

from __future__ import annotations

import functools
import os

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class EventsSettings(BaseSettings):
    """Open311 submission key and the service catalogue file.

    ``ZHICHENG_OPEN311_PUBLIC_KEY``: an ``api_key`` that lets anyone (a city app, a kiosk) submit
    citizen reports through ``POST requests``; unset, only tokens with role operator, admin or
    sensor may submit. ``ZHICHENG_EVENTS_CATALOGUE``: a city's own service catalogue (YAML, same
    layout as the packaged ``services.yaml``); unset, the packaged one is used.
    """

    model_config = SettingsConfigDict(env_prefix="ZHICHENG_", extra="ignore")

    open311_public_key: SecretStr | None = None
    events_catalogue: str | None = None


@functools.lru_cache(maxsize=4)
def _settings_for(public_key: str | None, catalogue: str | None) -> EventsSettings:
    return EventsSettings()


def events_settings() -> EventsSettings:
    """The settings as the environment gives them now (re-read only when those variables change)."""
    return _settings_for(os.environ.get("ZHICHENG_OPEN311_PUBLIC_KEY"), os.environ.get("ZHICHENG_EVENTS_CATALOGUE"))
