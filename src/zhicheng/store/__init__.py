"""Persistence: tables, engine, migrations."""

from zhicheng.store.engine import StoreError, init_store, open_store, store_url

__all__ = ["StoreError", "init_store", "open_store", "store_url"]
