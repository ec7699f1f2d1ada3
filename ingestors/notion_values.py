"""Notion API page property values -> the text an export shows, so one ``PropertyMapper`` maps
both (the same property names, status map, interval forms and relations).

People become emails through the users endpoint's directory (a name when the user has no
email), relations become ``notion:<32hex>`` ids, dates are written ``YYYY-MM-DD HH:MM`` in
``notion.timezone`` (the time zone the mapper reads them in) with ranges as ``start → end``. The
wiki ``verification`` value is returned typed, beside the text, because its parts (verifier,
start, end) matter separately.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from kb.clock import utc

from .notion_blocks import UTC, compact_id, plain
from .notion_props import Verification

Users = dict[str, str]
"""Notion user id -> email (or name when the user has no email)."""


def user_ref(value: object, users: Users) -> str | None:
    """Email or name of a user object (partial objects carry only the id)."""
    if not isinstance(value, dict):
        return None
    person = value.get("person") if isinstance(value.get("person"), dict) else {}
    email = person.get("email") if person else None
    found = users.get(str(value.get("id", "")))
    return str(email or found or value.get("name") or "") or None


def parse_instant(value: object, tz: ZoneInfo) -> datetime | None:
    """An API date or datetime as aware UTC; a bare date is midnight in ``tz``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        if len(value) == 10:
            return utc(datetime.combine(date.fromisoformat(value), time(), tz))
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError:
        return None


def _when(value: object, tz: ZoneInfo) -> str:
    if not isinstance(value, str) or not value:
        return ""
    if len(value) == 10:
        return value
    at = parse_instant(value, tz)
    return at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if at else value


def _date(value: object, tz: ZoneInfo) -> str:
    if not isinstance(value, dict):
        return ""
    start, end = _when(value.get("start"), tz), _when(value.get("end"), tz)
    return f"{start} → {end}" if start and end else start


def _formula(value: dict[str, Any], tz: ZoneInfo) -> str:
    kind = value.get("type")
    inner = value.get(kind) if isinstance(kind, str) else None
    if kind == "date":
        return _date(inner, tz)
    if kind == "boolean":
        return "Yes" if inner else "No"
    return "" if inner is None else str(inner)


def verification(value: object, users: Users, tz: ZoneInfo) -> Verification:
    value = value if isinstance(value, dict) else {}
    when = value.get("date") if isinstance(value.get("date"), dict) else {}
    return Verification(
        verified=value.get("state") == "verified",
        by=user_ref(value.get("verified_by"), users),
        start=parse_instant(when.get("start"), tz) if when else None,
        end=parse_instant(when.get("end"), tz) if when else None,
    )


def text_of(prop: dict[str, Any], users: Users, tz: ZoneInfo) -> str:
    """The export's text for one property value ('' when empty or not representable)."""
    kind = str(prop.get("type", ""))
    value = prop.get(kind)
    if kind in ("title", "rich_text"):
        return plain(value, tz)
    if kind in ("select", "status"):
        return str(value.get("name", "")) if isinstance(value, dict) else ""
    if kind == "multi_select":
        return ", ".join(str(v.get("name", "")) for v in value or [] if isinstance(v, dict))
    if kind == "people":
        return ", ".join(filter(None, (user_ref(v, users) for v in value or [])))
    if kind in ("created_by", "last_edited_by"):
        return user_ref(value, users) or ""
    if kind in ("created_time", "last_edited_time"):
        return _when(value, tz)
    if kind == "date":
        return _date(value, tz)
    if kind == "relation":
        return ", ".join(f"notion:{compact_id(str(v['id']))}" for v in value or [] if isinstance(v, dict))
    if kind == "checkbox":
        return "Yes" if value else "No"
    if kind == "formula" and isinstance(value, dict):
        return _formula(value, tz)
    if kind == "unique_id" and isinstance(value, dict):
        prefix = value.get("prefix")
        return f"{prefix}-{value.get('number')}" if prefix else str(value.get("number", ""))
    if kind == "files":
        return ", ".join(str(f.get("name", "")) for f in value or [] if isinstance(f, dict))
    if kind == "verification":
        v = verification(value, users, tz)
        if not v.verified:
            return "Unverified"
        parts = ["Verified", f"by {v.by}" if v.by else "", f"on {v.start:%Y-%m-%d}" if v.start else ""]
        parts.append(f"until {v.end:%Y-%m-%d}" if v.end else "")
        return " ".join(p for p in parts if p)
    if kind in ("number", "url", "email", "phone_number"):
        return "" if value is None else str(value)
    return ""


def title_of(page: dict[str, Any], tz: ZoneInfo = UTC) -> str:
    """The page's title as the export writes it (a date mention in it as ``@February 5, 2025``)."""
    for prop in (page.get("properties") or {}).values():
        if isinstance(prop, dict) and prop.get("type") == "title":
            return plain(prop.get("title"), tz).strip()
    return ""
