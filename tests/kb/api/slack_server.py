"""A stand-in for slack.com's Web API on loopback: ``users.info`` from a fixed directory, and
``chat.postMessage`` / ``chat.postEphemeral`` recorded for the test to read."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

BOT_TOKEN = "xoxb-test-bot-token"


def slack_app(directory: dict[str, str], posts: list[dict[str, Any]]) -> FastAPI:
    app = FastAPI()

    def authorized(request: Request) -> bool:
        return request.headers.get("authorization") == f"Bearer {BOT_TOKEN}"

    @app.post("/api/users.info")
    async def users_info(request: Request) -> dict[str, Any]:
        if not authorized(request):
            return {"ok": False, "error": "invalid_auth"}
        user = (await request.json()).get("user")
        if user not in directory:
            return {"ok": False, "error": "user_not_found"}
        return {"ok": True, "user": {"id": user, "profile": {"email": directory[user]}}}

    @app.post("/api/{method}")
    async def post(method: str, request: Request) -> dict[str, Any]:
        if not authorized(request):
            return {"ok": False, "error": "invalid_auth"}
        posts.append({"method": method, **(await request.json())})
        return {"ok": True, "ts": "1700000000.000200"}

    return app
