"""The OpenAPI schema, with the constraints the request models cannot state themselves.

Limits that come from configuration (``api.max_question_chars``, ``api.max_top_k``) and rules
checked in code (a question is not blank; ``question`` or ``query``; the ``status`` filter's
values; a review note's length) are written into the generated schema here, so a request valid
by the schema is one the API accepts.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from kb.alerts.review import MAX_NOTE_CHARS
from kb.config import APISettings

NOT_BLANK = r"\S"


def _text(prop: dict[str, Any], max_chars: int) -> dict[str, Any]:
    keep = {k: v for k, v in prop.items() if k in ("title", "description")}
    return {**keep, "type": "string", "pattern": NOT_BLANK, "maxLength": max_chars}


def _top_k(prop: dict[str, Any], max_top_k: int) -> dict[str, Any]:
    keep = {k: v for k, v in prop.items() if k in ("title", "description")}
    return {**keep, "type": "integer", "minimum": 1, "maximum": max_top_k}


def tighten(schema: dict[str, Any], api: APISettings, statuses: list[str]) -> dict[str, Any]:
    models = schema["components"]["schemas"]
    for name in ("SearchRequest", "AskRequest"):
        props = models[name]["properties"]
        for field in ("question", "query"):
            if field in props:
                props[field] = _text(props[field], api.max_question_chars)
        props["top_k"] = _top_k(props["top_k"], api.max_top_k)
    models["SearchRequest"]["oneOf"] = [
        {"required": ["question"], "not": {"required": ["query"]}},
        {"required": ["query"], "not": {"required": ["question"]}},
    ]
    if "ReviewRequest" in models:
        models["ReviewRequest"]["properties"]["note"]["maxLength"] = MAX_NOTE_CHARS
    for param in schema["paths"]["/v1/docs"]["get"].get("parameters", []):
        if param["name"] == "status":
            param["schema"] = {
                "type": "string",
                "enum": statuses,
                "description": param.get("description", ""),
            }
    return schema


def install(app: FastAPI, api: APISettings, statuses: list[str]) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
            app.openapi_schema = tighten(schema, api, statuses)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
