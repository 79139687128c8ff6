"""Every router of the server, in the order they are mounted (one module per resource)."""

from fastapi import APIRouter

from zhicheng.api.routers import (
    alerts,
    campaign,
    carbon,
    cockpit,
    evaluation,
    events,
    export,
    forecast,
    grid,
    health,
    open311,
    readiness,
    reports,
    session,
    sta,
    survey,
    warnings,
)

ROUTERS: list[APIRouter] = [health.router, sta.router, sta.air_router, alerts.router, evaluation.router, cockpit.router, events.router, open311.router, open311.discovery_router, survey.router,
                            campaign.router, carbon.router, grid.router, warnings.router, export.router, reports.router, session.router,
                            forecast.router, readiness.router]
