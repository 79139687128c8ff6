"""The observation archive (Parquet past the hot window) and the analytics on DuckDB and Spark.

- :mod:`zhicheng.archive.mover` — moving cold observations out of the store, crash-safely;
- :mod:`zhicheng.archive.service` — run, status and verify as the CLI uses them;
- :mod:`zhicheng.archive.location` — a folder or an fsspec URL.
"""
