"""Imports every module that defines tables, so ``schema.metadata`` holds them all."""

from zhicheng.store import schema, schema_api  # noqa: F401
