"""Notion page properties -> Document lifecycle fields, through ``settings.notion.properties``.

Each field has a list of candidate property names (case-insensitive, first non-empty wins). The
mapper records in ``resolution`` which property gave each value, and reports values it cannot read
(dates, intervals, relations) as warnings naming the file and property: the field stays empty and
the document is still ingested. It never applies rules or defaults (that is ``kb.lifecycle.rules``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kb.config import NotionSettings
from kb.errors import IngestError
from kb.identity import People
from kb.records import ACTIVE, IngestIssue

from .dates import NotionDates

# Calendar units in days: a month is a twelfth of the mean Gregorian year (365.2425 days), so
# "12 months" is 365 days like "1 year", "6 months" 183 and "3 months" 91 (not 360 / 180 / 90).
YEAR_DAYS = 365.2425
_INTERVAL_UNITS = {
    "day": 1.0,
    "week": 7.0,
    "month": YEAR_DAYS / 12,
    "quarter": YEAR_DAYS / 4,
    "year": YEAR_DAYS,
}
_INTERVAL_WORDS = {
    "daily": 1,
    "weekly": 7,
    "biweekly": 14,
    "fortnightly": 14,
    "monthly": round(YEAR_DAYS / 12),
    "quarterly": round(YEAR_DAYS / 4),
    "semiannually": round(YEAR_DAYS / 2),
    "semi-annually": round(YEAR_DAYS / 2),
    "half-yearly": round(YEAR_DAYS / 2),
    "yearly": 365,
    "annually": 365,
    "annual": 365,
}
_INTERVAL_RE = re.compile(r"^(?:every\s+)?(?P<n>\d+(?:\.\d+)?)?\s*(?P<unit>day|week|month|quarter|year)?s?$")
_UNTIL_RE = re.compile(r"\b(?:until|till|expires)\b\s*(?P<date>.*)$", re.IGNORECASE)
_BY_RE = re.compile(r"^by\s+(?P<who>.+?)(?:\s+on\s+(?P<on>.+))?$", re.IGNORECASE)
_NOT_VERIFIED = ("unverified", "not verified", "expired", "verification expired")

RelationResolver = Callable[[str], list[str]]
"""Relation cell text -> doc ids it points to (empty when none resolve)."""


@dataclass(frozen=True)
class Verification:
    """A Notion wiki verification, from the API's ``verification`` property or an export's text.

    ``by`` is the verifier (email when resolvable); ``start`` when it was verified, ``end`` when
    the verification expires (None: verified indefinitely, or not known).
    """

    verified: bool
    by: str | None = None
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class Fields:
    values: dict[str, Any] = field(default_factory=dict)
    resolution: dict[str, str] = field(default_factory=dict)
    issues: list[IngestIssue] = field(default_factory=list)


def parse_interval_days(value: str) -> int | None:
    """'90', '90 days', '3 months', '1 year', 'weekly', 'every 2 weeks' -> days; None if unreadable."""
    text = " ".join(value.strip().lower().split())
    if text in _INTERVAL_WORDS:
        return _INTERVAL_WORDS[text]
    m = _INTERVAL_RE.match(text)
    if not m or not (m.group("n") or m.group("unit")):
        return None
    days = float(m.group("n") or 1) * _INTERVAL_UNITS[m.group("unit") or "day"]
    return round(days) if days >= 1 else None


def first_person(value: str) -> str:
    """People cells are comma-joined display names; the first one is the owner."""
    return value.split(",")[0].strip().lstrip("@").strip()


class PropertyMapper:
    def __init__(self, settings: NotionSettings, people: People, dates: NotionDates) -> None:
        self.settings = settings
        self.names = settings.properties
        self.people = people
        self.dates = dates
        self.status_map = {k.strip().lower(): v for k, v in settings.status_map.items()}
        self._wanted = {n.casefold() for names in self.names.model_dump().values() for n in names}

    def configured(self, name: str) -> bool:
        """True for a property name any field is configured to read (case-insensitive)."""
        return name.casefold() in self._wanted

    def map(self, props: dict[str, str], *, label: str, doc_id: str, relation: RelationResolver) -> Fields:
        out = Fields()
        ctx = _Context(props, label, doc_id, out)
        if picked := ctx.pick(self.names.owner):
            name, value = picked
            out.values["owner"] = self.people.resolve(first_person(value))
            out.resolution["owner"] = f"property '{name}'"
        if picked := ctx.pick(self.names.last_edited_by):
            name, value = picked
            out.values["last_edited_by"] = self.people.resolve(first_person(value))
            out.resolution["last_edited_by"] = f"property '{name}'"
        if picked := ctx.pick(self.names.last_edited):
            self._date(ctx, "last_edited_at", *picked)
        if picked := ctx.pick(self.names.last_reviewed):
            self._reviewed(ctx, *picked)
        if picked := ctx.pick(self.names.review_interval):
            name, value = picked
            days = parse_interval_days(value)
            if days is None:
                ctx.warn(name, f"review interval {value!r} is not a number of days, weeks, months or years")
            else:
                out.values["review_interval_days"] = days
                out.resolution["review_interval_days"] = f"property '{name}'"
        if picked := ctx.pick(self.names.status):
            name, value = picked
            mapped = self.status_map.get(value.strip().lower())
            out.values["status"] = mapped or ACTIVE
            out.resolution["status"] = (
                f"property '{name}'"
                if mapped
                else f"property '{name}' ({value!r} is not in notion.status_map)"
            )
        if picked := ctx.pick(self.names.verification):
            self._verification(ctx, *picked)
        if picked := ctx.pick(self.names.superseded_by):
            name, value = picked
            if ids := self._relation(ctx, name, value, relation, doc_id):
                out.values["superseded_by"] = ids[0]
                out.resolution["superseded_by"] = f"property '{name}'"
        if picked := ctx.pick(self.names.supersedes):
            name, value = picked
            if ids := self._relation(ctx, name, value, relation, doc_id):
                out.values["supersedes"] = ids
                out.resolution["supersedes"] = f"property '{name}'"
        return out

    def _parse_date(self, ctx: _Context, name: str, text: str) -> datetime | None:
        try:
            rng = self.dates.parse(text)
        except IngestError as err:
            ctx.warn(name, f"unparseable date {text!r}: {err.message}")
            return None
        # For a range, the later end is the most recent edit or review.
        return rng.end or rng.start

    def _date(self, ctx: _Context, fieldname: str, name: str, value: str) -> None:
        if (at := self._parse_date(ctx, name, value)) is not None:
            ctx.out.values[fieldname] = at
            ctx.out.resolution[fieldname] = f"property '{name}'"

    def _reviewed(self, ctx: _Context, name: str, value: str) -> None:
        """A review date, or a wiki verification value ('Verified by X until <date>', ...)."""
        if value.strip().lower().startswith(("verified", *_NOT_VERIFIED)):
            self._verification(ctx, name, value)
        else:
            self._date(ctx, "last_reviewed_at", name, value)

    def _verification(self, ctx: _Context, name: str, value: str) -> None:
        """The exported text of a verification: 'Verified by X [on <start>] [until <end>]',
        'Verified <start> → <end>', 'Verified <date>', 'Unverified', 'Expired'."""
        lower = value.strip().lower()
        if not lower.startswith("verified"):
            apply_verification(Verification(verified=False), name, ctx.out, self)
            return
        rest = value.strip()[len("verified") :].strip(" :,-–")
        start = end = None
        if m := _UNTIL_RE.search(rest):
            end = self._parse_date(ctx, name, m.group("date"))
            rest = rest[: m.start()].strip(" ,")
        by = None
        if m := _BY_RE.match(rest):
            by, rest = m.group("who").strip(" ,"), (m.group("on") or "").strip()
        if rest:
            try:
                rng = self.dates.parse(rest)
                start, end = rng.start, rng.end or end
            except IngestError as err:
                ctx.warn(name, f"unparseable date {rest!r}: {err.message}")
        verifier = self.people.resolve(first_person(by)) if by else None
        apply_verification(Verification(True, verifier, start, end), name, ctx.out, self)

    @staticmethod
    def _relation(ctx: _Context, name: str, value: str, relation: RelationResolver, doc_id: str) -> list[str]:
        ids = [i for i in relation(value) if i != doc_id]
        if not ids:
            ctx.warn(name, f"relation {value!r} does not point to a page in this export")
        return ids


@dataclass
class _Context:
    props: dict[str, str]
    label: str
    doc_id: str
    out: Fields

    def pick(self, names: list[str]) -> tuple[str, str] | None:
        by_key = {k.casefold(): k for k in self.props}
        for wanted in names:
            key = by_key.get(wanted.casefold())
            if key is not None and self.props[key].strip():
                return key, self.props[key].strip()
        return None

    def warn(self, name: str, reason: str) -> None:
        self.out.issues.append(
            IngestIssue(
                input=f"{self.label}: property '{name}'",
                reason=reason,
                doc_id=self.doc_id,
                severity="warning",
            )
        )


def apply_verification(v: Verification, name: str, out: Fields, mapper: PropertyMapper) -> None:
    """Verification -> last reviewed (its start), review due (its end, as the review interval)
    and owner (the verifier, when no owner property gave one). A verification older than a
    review date from another property does not replace it; an unverified page keeps its dates."""
    if not v.verified:
        out.resolution.setdefault("last_reviewed_at", f"property '{name}' (not verified)")
        return
    if v.by and "owner" not in out.values:
        out.values["owner"] = v.by
        out.resolution["owner"] = f"verifier in property '{name}'"
    days = mapper.settings.verification_days
    reviewed, interval, how = v.start, None, "verified"
    if v.start and v.end:
        interval, how = max(1, round((v.end - v.start).total_seconds() / 86400)), "verified until its end"
    elif v.end:
        reviewed, interval = v.end - timedelta(days=days), days
        how = f"verified until {v.end.date().isoformat()}; review taken as notion.verification_days before"
    if reviewed is None:
        out.resolution.setdefault("last_reviewed_at", f"property '{name}' (verified, no date)")
        return
    current = out.values.get("last_reviewed_at")
    if current is not None and current > reviewed:
        return
    out.values["last_reviewed_at"] = reviewed
    out.resolution["last_reviewed_at"] = f"property '{name}' ({how})"
    if interval is not None:
        out.values["review_interval_days"] = interval
        out.resolution["review_interval_days"] = f"property '{name}' (verification end)"
