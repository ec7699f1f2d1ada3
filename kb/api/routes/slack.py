"""``POST /v1/slack/events``: Slack's Events API (``url_verification``, ``app_mention`` and direct
``message`` events) and slash commands, signed with the app's signing secret (``kb.api.slack``).

Slack wants an answer within 3 s, so the route checks the signature, acknowledges, and answers
in a background task that posts to the thread. Slack's retries (``X-Slack-Retry-Num``) are
acknowledged and dropped so a slow answer is not posted twice.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, Request
from fastapi.responses import JSONResponse, Response

from kb.api.deps import AnswererDep, AuditDep, RuntimeDep
from kb.api.errors import error_responses
from kb.api.slack import SlackQuestion, answer_in_slack, verify_signature
from kb.errors import BadRequest, NotFoundError

router = APIRouter(prefix="/v1", tags=["slack"])


def _event_question(event: dict[str, Any]) -> SlackQuestion | None:
    kind = event.get("type")
    if event.get("bot_id") or event.get("subtype") or kind not in ("app_mention", "message"):
        return None  # our own replies, edits and joins are not questions
    if kind == "message" and event.get("channel_type") != "im":
        return None  # in channels only mentions are questions
    text = " ".join(
        w for w in str(event.get("text", "")).split() if not (w.startswith("<@") and w.endswith(">"))
    )
    return SlackQuestion(
        user_id=str(event.get("user", "")),
        channel=str(event.get("channel", "")),
        text=text,
        thread_ts=event.get("thread_ts") or event.get("ts"),
        direct=kind == "message",
    )


@router.post(
    "/slack/events",
    summary="Slack Events API and slash commands (Slack-signed, no bearer token)",
    responses=error_responses(400, 401, 404, 500),
)
async def slack_events(
    request: Request, tasks: BackgroundTasks, runtime: RuntimeDep, answerer: AnswererDep, audit: AuditDep
) -> Response:
    if not os.environ.get(runtime.settings.slack.signing_secret_env):
        raise NotFoundError(
            f"Slack is not configured on this server: set {runtime.settings.slack.signing_secret_env}",
            subject="slack.signing_secret_env",
        )
    body = await request.body()
    verify_signature(
        runtime.settings.slack,
        request.headers.get("x-slack-request-timestamp"),
        request.headers.get("x-slack-signature"),
        body,
    )
    if request.headers.get("x-slack-retry-num"):
        return Response(status_code=200)
    if request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        question = SlackQuestion(
            user_id=form.get("user_id", ""),
            channel=form.get("channel_id", ""),
            text=form.get("text", ""),
            ephemeral=True,
        )
        tasks.add_task(answer_in_slack, runtime, answerer, audit, question)
        return JSONResponse({"response_type": "ephemeral", "text": "Looking that up…"})
    try:
        payload = json.loads(body)
    except ValueError:
        raise BadRequest("the body is neither JSON nor a slash-command form", subject="body") from None
    if payload.get("type") == "url_verification":
        return JSONResponse({"challenge": payload.get("challenge", "")})
    found = _event_question(payload.get("event") or {}) if payload.get("type") == "event_callback" else None
    if found is not None:
        tasks.add_task(answer_in_slack, runtime, answerer, audit, found)
    return Response(status_code=200)
