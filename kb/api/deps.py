"""Dependencies for the routes, as ``Annotated`` aliases: ``RuntimeDep``, ``CurrentPrincipal``,
``AuditDep``, ``AnswererDep``. The app keeps its singletons on ``app.state`` (set up by ``create_app``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kb.answer import Answerer, make_answerer
from kb.auth import Authenticator
from kb.records import Principal
from kb.runtime import Runtime
from kb.store.audit import AuditRecorder

# Only for the OpenAPI schema ("Authorize" in /docs); the header is parsed by Authenticator so
# a malformed header gets FreshKB's own message and a 401.
_bearer_scheme = HTTPBearer(auto_error=False, description="A static token or an OIDC JWT")


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


def get_principal(
    request: Request,
    _: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer_scheme)] = None,
) -> Principal:
    authenticator: Authenticator = request.app.state.authenticator
    principal = authenticator.authenticate(request.headers.get("authorization"))
    request.state.principal = principal
    return principal


def get_audit(request: Request) -> AuditRecorder:
    recorder: AuditRecorder = request.app.state.audit
    return recorder


def get_answerer(request: Request) -> Answerer:
    """Built on first use (the extractive answerer needs the model, loaded lazily)."""
    state = request.app.state
    if getattr(state, "answerer", None) is None:
        rt: Runtime = state.runtime
        state.answerer = make_answerer(rt.settings.answer, rt.documents, lambda: rt.answer_embedder)
    answerer: Answerer = state.answerer
    return answerer


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]
AuditDep = Annotated[AuditRecorder, Depends(get_audit)]
AnswererDep = Annotated[Answerer, Depends(get_answerer)]
