"""Every router of the server, in the order they are mounted (one module per resource)."""

from fastapi import APIRouter

from zhicheng.api.routers import cockpit, evaluation, health, sta

ROUTERS: list[APIRouter] = [health.router, sta.router, evaluation.router, cockpit.router]
