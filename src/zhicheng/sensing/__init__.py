"""Live sensing: OGC SensorThings API v1.1 entities, bulk ingest, alerts and live air quality.

Services over the store; the HTTP routers in :mod:`zhicheng.api.routers.sta` and
:mod:`zhicheng.api.routers.alerts` only translate requests to these calls.
"""
