"""Every router of the server, in the order they are mounted (one module per resource)."""

from fastapi import APIRouter

from zhicheng.api.routers import health

ROUTERS: list[APIRouter] = [health.router]
