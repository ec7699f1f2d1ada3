"""One place that turns errors into HTTP responses with the same envelope:
``{"error": {"type": ..., "message": ...}}``, plus ``field`` for a bad request field or
``subject`` naming the input another error is about (the doc id, the answer endpoint).

``KBError`` subclasses map by their ``http_status``; FastAPI's request validation errors become
400 (body is not JSON) or 422 (a field is wrong, named in the message); anything unexpected is a
500 that reveals nothing about its cause.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from kb.errors import AuthError, BadRequest, KBError

log = logging.getLogger(__name__)

BEARER_CHALLENGE = 'Bearer realm="freshkb"'


class InvalidField(BadRequest):
    """A request field the caller must fix; ``subject`` names the field."""

    http_status = 422


def envelope(
    status: int,
    type_: str,
    message: str,
    *,
    field: str | None = None,
    subject: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": type_, "message": message}
    if field:
        body["field"] = field
    elif subject:
        body["subject"] = subject
    return JSONResponse({"error": body}, status_code=status, headers=headers)


class ErrorDetail(BaseModel):
    type: str = Field(description="the error class, e.g. InvalidField, NotFoundError, PermissionDenied")
    message: str = Field(description="what is wrong, naming the input")
    field: str | None = Field(None, description="the request field to fix (4xx about a field)")
    subject: str | None = Field(None, description="the input another error is about (a doc id)")


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


_WHY = {
    400: "Bad request: the body is not JSON, or a value is refused (e.g. a note over the limit)",
    401: "Missing, malformed or invalid bearer token",
    403: "The caller may not do this (e.g. review a document they neither own nor administer)",
    404: "No such document, or one the caller may not read (the same answer)",
    409: "The request contradicts the resource's state (e.g. a page named as its own successor)",
    422: "A field is missing, unknown or out of range; `error.field` names it",
    500: "Unexpected error; the body reveals nothing about its cause",
    502: "The configured answer endpoint failed",
    503: "The store or the vector index failed",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for these status codes, each with ``ErrorBody``."""
    return {code: {"model": ErrorBody, "description": _WHY[code]} for code in codes}


def _field_name(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(parts) or "body"


async def kb_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, KBError)
    headers = None
    if isinstance(exc, AuthError):
        error = "invalid_request" if exc.message.startswith(("missing", "malformed")) else "invalid_token"
        headers = {"WWW-Authenticate": f'{BEARER_CHALLENGE}, error="{error}"'}
    if exc.http_status >= 500:
        log.error("%s %s failed: %s", request.method, request.url.path, exc)
    field = exc.subject if isinstance(exc, InvalidField) else None
    return envelope(
        exc.http_status, type(exc).__name__, exc.message, field=field, subject=exc.subject, headers=headers
    )


async def validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = exc.errors()
    if any(e.get("type") == "json_invalid" for e in errors):
        return envelope(400, "BadRequest", "request body is not valid JSON")
    first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request", "type": ""}
    field = _field_name(tuple(first.get("loc", ())))
    if first.get("type") == "extra_forbidden":
        message = f"unknown field '{field}'"
    elif first.get("type") == "missing":
        message = f"'{field}' is required"
    else:
        detail = str(first.get("msg", "invalid value")).removeprefix("Value error, ")
        message = detail if field == "body" else f"'{field}': {detail}"
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
    return envelope(422, "InvalidField", message, field=field)


async def http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    names = {404: "NotFoundError", 405: "MethodNotAllowed"}
    return envelope(
        exc.status_code,
        names.get(exc.status_code, "HTTPError"),
        str(exc.detail),
        headers=dict(exc.headers) if exc.headers else None,
    )


async def unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return envelope(500, "InternalError", "internal error; the server log has the details")


def install(app: FastAPI) -> None:
    app.add_exception_handler(KBError, kb_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected_error)
