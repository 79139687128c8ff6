"""Moved to :mod:`tests.support.sta` (the shared test helpers); kept so older imports work."""

from tests.support.sta import (  # noqa: F401
    OM_MEASUREMENT,
    auth,
    data_array,
    station_body,
)
