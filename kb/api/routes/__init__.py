"""The API's routers, one module per resource. ``create_app`` includes every router in
``ROUTERS``; a new resource adds its router here with a one-line edit."""

from __future__ import annotations

from fastapi import APIRouter

from kb.api.routes import (
    ask,
    docs,
    feedback,
    health,
    login,
    metrics,
    my,
    pages,
    report,
    reviews,
    search,
    slack,
    successors,
)

ROUTERS: list[APIRouter] = [
    health.router,
    search.router,
    ask.router,
    docs.router,
    metrics.router,
    reviews.router,
    slack.router,
    feedback.router,
    successors.router,
    report.router,
    my.router,
    pages.router,
    login.router,
]
