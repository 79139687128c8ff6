"""The HTTP server: FastAPI app, security, one router per resource."""

from zhicheng.api.app import create_app

__all__ = ["create_app"]
