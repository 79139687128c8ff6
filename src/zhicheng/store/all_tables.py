"""Imports every module that defines tables, so ``schema.metadata`` holds them all."""

from zhicheng.store import (  # noqa: F401
    schema,
    schema_api,
    schema_archive,
    schema_campaign,
    schema_carbon,
    schema_evaluation,
    schema_events,
    schema_readiness,
    schema_sensing,
    schema_survey,
    schema_uncertainty,
    schema_warnings,
)
