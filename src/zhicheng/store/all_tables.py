"""Imports every module that defines tables, so ``schema.metadata`` holds them all."""

from zhicheng.store import schema, schema_api, schema_events, schema_sensing, schema_survey  # noqa: F401
