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
    #: Reads of evaluation results and public environment data (air, alerts, the map) need no
    #: sign-in when true; city events always need a role that may read them (viewer and up).
    open_reads: bool = True
    #: How long a cockpit sign-in lasts [h] before the session cookie is refused.
    session_hours: float = 8.0
    #: The city's time zone: the cockpit shows every time in it (IANA name).
    time_zone: str = "Asia/Shanghai"
    #: An Open311 ``api_key`` that lets anyone (a city app, a kiosk) submit citizen reports through
    #: ``POST requests``; unset, only tokens with role operator, admin or sensor may submit.
    open311_public_key: SecretStr | None = None
    #: A city's own events service catalogue (YAML, same layout as the packaged ``services.yaml``);
    #: unset, the packaged one is used.
    events_catalogue: str | None = None
    #: The server's public address, used in the selfLinks of entities created and published over
    #: MQTT (HTTP requests use the address they were sent to).
    public_url: str = "http://127.0.0.1:8000"
    #: Port of the embedded MQTT broker (SensorThings MQTT extension); 0: no embedded broker.
    #: ``zhicheng serve`` starts it on 1883 unless told otherwise.
    mqtt_port: int = 0
    #: Interface the embedded MQTT broker listens on.
    mqtt_host: str = "127.0.0.1"
    #: An external MQTT broker (``host:port``, e.g. mosquitto) to bridge to instead of embedding one.
    mqtt_broker: str | None = None
    #: The token the bridge writes with on an external broker (role sensor or operator).
    mqtt_token: SecretStr | None = None
    #: The bridge's user name and password at the external broker, when it asks for them.
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    #: The cockpit's national base map (GeoJSON as ``data/basemap/build.py`` writes it); unset, the
    #: shipped one (``data/basemap/china.geojson``). A public deployment needs its own map approval.
    basemap: str | None = None
    #: Where observations past the hot window are archived as Parquet: a folder, or an fsspec URL
    #: (``s3://bucket/zhicheng``, ``gs://…``; the filesystem's package installed). Unset: no archive.
    archive: str | None = None
    #: The hot window [days]: observations older than this, counted back from each Datastream's
    #: newest observation, move to the archive (``zhicheng archive run``).
    archive_hot_days: int = 90
    #: The Spark cluster the analytics submit to (``spark://host:7077``); ``local[*]`` runs Spark
    #: inside this process.
    spark_master: str = "local[*]"


def get_settings() -> Settings:
    """Settings as the environment gives them now."""
    return Settings()
