"""Moved to :mod:`tests.support.cockpit_workspace` (the shared test helpers); kept so older imports work."""

from tests.support.cockpit_workspace import (  # noqa: F401
    BASE_PERIOD,
    CITIES,
    DATA,
    READINGS,
    RUN_PERIOD,
    YEARS,
    Workspace,
    add_live_data,
    add_station,
    build_workspace,
    store_rows,
)
