"""Liveness: ``/healthz`` answers when the server and its store respond."""

from __future__ import annotations

import sqlalchemy as sa
from fastapi import APIRouter
from pydantic import BaseModel

from zhicheng import __version__
from zhicheng.api.deps import EngineDep, PrincipalDep

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The server's state."""

    status: str
    version: str
    store: str


@router.get("/healthz", response_model=Health)
def healthz(engine: EngineDep) -> Health:
    """The server is up and its store answers a query."""
    with engine.connect() as conn:
        conn.execute(sa.text("SELECT 1"))
    return Health(status="ok", version=__version__, store=engine.dialect.name)


class WhoAmI(BaseModel):
    """The caller as the server sees it."""

    name: str
    role: str | None
    department: str | None


@router.get("/api/whoami", response_model=WhoAmI)
def whoami(principal: PrincipalDep) -> WhoAmI:
    """Who the bearer token stands for (anonymous without one; 401 for a bad one)."""
    return WhoAmI(name=principal.name, role=principal.role, department=principal.department)
