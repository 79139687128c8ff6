"""Moved to :mod:`tests.support.campaign` (the shared test helpers); kept so older imports work."""

from tests.support.campaign import (  # noqa: F401
    ADMIN,
    ALICE,
    BOB,
    CAROL,
    COORDINATION,
    DISTRICTS,
    ENV,
    GIGABIT,
    JPEG_HEAD,
    ONLINE,
    REVIEWER,
    STATS,
    UNITS_CSV,
    UNITS_MAPPING,
    load_units,
    pdf_bytes,
    png_bytes,
    xlsx_bytes,
)
