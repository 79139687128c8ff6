"""Settings, declared once (environment prefix ``ZHICHENG_``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

#: Default largest evidence file [bytes] (10 MiB; the server refuses bodies over 16 MiB anyway).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


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
    #: Open311 ``jurisdiction_id`` (or a city's unit code) → the events catalogue it uses: a packaged
    #: catalogue's name (``default``, ``cn-12345``) or a YAML path; JSON in the environment.
    events_jurisdictions: dict[str, str] = {}
    #: GeoReport v2 service ``type``: ``realtime`` answers a POST with its ``service_request_id``,
    #: ``batch`` with a ``token`` instead (never both, as the standard says).
    open311_type: Literal["realtime", "batch"] = "realtime"
    #: A city's own events service catalogue (YAML, same layout as the packaged ``services.yaml``);
    #: unset, the packaged one is used.
    events_catalogue: str | None = None
    #: Sensor alerts (and predicted episodes) also draft a public warning for review.
    warnings_from_alerts: bool = True
    #: CAP ``sender`` of the city's public warnings (no spaces, commas, < or &).
    cap_sender: str = "warnings@zhicheng.city"
    #: H3 resolution of the grid cells events get where the city has loaded no grid of its own.
    grid_h3_resolution: int = 8
    #: Unit code of the city new H3 cells belong to (their parent unit); unset, they have none.
    grid_city: str | None = None
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
    #: Folder the server writes reports (``/api/reports``) to; unset, ``<store>-reports`` next to a
    #: SQLite store, else ``./reports``.
    reports_dir: str | None = None
    #: Folder of the campaigns' content-addressed evidence files; unset, an ``evidence`` folder next
    #: to the SQLite store (or ``./evidence`` for a PostgreSQL store).
    evidence_dir: str | None = None
    #: Largest evidence file a campaign accepts [bytes].
    evidence_max_bytes: int = Field(default=DEFAULT_MAX_BYTES, gt=0)
    #: Most evidence files one campaign submission may carry.
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

    def reports_root(self, engine: Engine | None = None) -> Path:
        """The reports folder for a store: the setting, else ``<store>-reports`` next to a SQLite file."""
        if self.reports_dir:
            return Path(self.reports_dir).expanduser().resolve()
        if engine is not None and engine.url.get_backend_name() == "sqlite":
            database = engine.url.database
            if database and database != ":memory:":
                db = Path(database).expanduser().resolve()
                return db.with_name(db.stem + "-reports")
        return Path("reports").resolve()


def get_settings() -> Settings:
    """Settings as the environment gives them now."""
    return Settings()
