"""The OpenAPI schema, with the constraints the request models cannot state themselves.

Each route lists the error statuses it returns itself (``responses=error_responses(...)`` on
its decorator); FastAPI's default 422 with its own body is removed here.

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


def _keep(prop: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in prop.items() if k in ("title", "description")}


def _text(max_chars: int) -> dict[str, Any]:
    return {"type": "string", "pattern": NOT_BLANK, "maxLength": max_chars}


def _nullable(prop: dict[str, Any], schema: dict[str, Any], required: bool) -> dict[str, Any]:
    return {**_keep(prop), **schema} if required else {**_keep(prop), "anyOf": [schema, {"type": "null"}]}


def drop_default_validation(schema: dict[str, Any]) -> None:
    """FastAPI documents a 422 with its own body on every route with parameters. Ours answer 422
    (with ``ErrorBody``) only where a route says so in its ``responses=``; a plain path string
    cannot fail validation, so elsewhere that 422 is not a status the route returns."""
    for item in schema["paths"].values():
        for op in item.values():
            resp = op.get("responses", {}).get("422", {})
            ref = resp.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
            if ref.endswith("/HTTPValidationError"):
                del op["responses"]["422"]
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)


def tighten(schema: dict[str, Any], api: APISettings, statuses: list[str]) -> dict[str, Any]:
    drop_default_validation(schema)
    models = schema["components"]["schemas"]
    text = _text(api.max_question_chars)
    for name in ("SearchRequest", "AskRequest"):
        model = models[name]
        props = model["properties"]
        for field in ("question", "query"):
            if field in props:
                props[field] = _nullable(props[field], text, field in model.get("required", []))
        top_k = {"type": "integer", "minimum": 1, "maximum": api.max_top_k}
        props["top_k"] = _nullable(props["top_k"], top_k, required=False)
    # Exactly one of question and query is a string; the other is absent or null.
    models["SearchRequest"]["oneOf"] = [
        {"required": [one], "properties": {one: {"type": "string"}, other: {"type": "null"}}}
        for one, other in (("question", "query"), ("query", "question"))
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
