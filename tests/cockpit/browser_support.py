"""Moved to :mod:`tests.support.browser` (the shared test helpers); kept so older imports work."""

from tests.support.browser import (  # noqa: F401
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    LiveServer,
    serve,
    shot,
    sign_in,
    wait_ready,
)
