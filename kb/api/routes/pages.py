"""The web pages: ``/`` (engineers: ask), ``/admin`` (knowledge health, admins only: the page
asks ``GET /v1/report``), ``/my`` (doc owners: ``GET /v1/my``) and the files they share,
``/static/freshkb.css`` and ``/static/signin.js``. None needs a token to load: each page signs
in with the token kept in the tab and calls the API with it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from kb.api.page import asset_response, page_response

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def index() -> HTMLResponse:
    return page_response("index.html")


@router.get("/admin", response_class=HTMLResponse)
def admin_page() -> HTMLResponse:
    return page_response("admin.html")


@router.get("/my", response_class=HTMLResponse)
def my_page() -> HTMLResponse:
    return page_response("my.html")


@router.get("/static/signin.js")
def signin_js() -> Response:
    return asset_response("signin.js")


@router.get("/static/freshkb.css")
def freshkb_css() -> Response:
    return asset_response("freshkb.css")
