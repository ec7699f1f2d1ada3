"""Notion date strings -> aware UTC datetimes, in the exporting user's locale and time zone.

Exports write dates the way the exporting user sees them, with no offset: ``June 18, 2025 12:29 PM``,
``Apr 02, 2021 8:07 AM``, ``May 12, 2024``, ``27. Juli 2023 11:52``, ``2023-05-23, 16:25``, mentions
with a leading ``@`` and ranges ``April 23, 2024 → May 22, 2024``. Strict ``strptime`` formats cover
the common forms fast; dateparser (with the locale's language and date order, never its relative
parser) covers the rest. Relative phrases (``Today``, ``Last Wednesday``) depend on the day of the
export, which the export does not record, so they are refused rather than guessed.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kb.errors import ConfigError, IngestError

_EN_FORMATS = (
    "%B %d, %Y %I:%M %p",
    "%b %d, %Y %I:%M %p",
    "%B %d, %Y %H:%M",
    "%B %d, %Y",
    "%b %d, %Y",
    "%d %B %Y %H:%M",
    "%d %b %Y %H:%M",
    "%d %B %Y",
    "%d %b %Y",
)
_ISO_FORMATS = ("%Y-%m-%d, %H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%Y/%m/%d %H:%M", "%Y/%m/%d")
_TIME_FORMATS = ("%I:%M %p", "%H:%M")
_RANGE_SEPARATORS = ("→", "->")
_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_RELATIVE_RE = re.compile(
    rf"^(today|tomorrow|yesterday|now|(last|next|this)\s+\w+|{_WEEKDAYS}"
    r"|heute|gestern|morgen|(letzte[nrs]?|nächste[nrs]?)\s+\w+|.*\b(ago|vor)\b.*)$",
    re.IGNORECASE,
)
# Regions that write month before day (Notion follows the browser locale).
_MDY_REGIONS = {"US", "PH", "FM", "MH", "PW", "AS", "GU", "MP", "PR", "UM", "VI"}
_YMD_LANGUAGES = {"zh", "ja", "ko", "hu", "lt", "mn"}


@dataclass(frozen=True)
class DateRange:
    """A Notion date: ``end`` is set for ranges; callers choose which end they need."""

    start: datetime
    end: datetime | None = None


def locale_language_and_order(locale: str) -> tuple[str, str]:
    """('en', 'MDY') for en-US, ('en', 'DMY') for en-GB, ('de', 'DMY') for de-DE, ..."""
    language, _, region = locale.replace("_", "-").partition("-")
    language = language.lower()
    if language in _YMD_LANGUAGES:
        return language, "YMD"
    if language == "en" and (region.upper() in _MDY_REGIONS or not region):
        return language, "MDY"
    return language, "DMY"


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ConfigError(f"unknown IANA time zone {timezone!r}", subject="notion.timezone") from err


class NotionDates:
    """Parses dates for one locale and time zone; results are cached per string."""

    def __init__(self, locale: str = "en-US", timezone: str = "UTC") -> None:
        self.language, self.order = locale_language_and_order(locale)
        _zone(timezone)
        self.timezone = timezone

    def parse(self, value: str) -> DateRange:
        """The date or range in ``value``; ``IngestError`` (subject = the value) when unparseable."""
        result = _parse_cached(value, self.language, self.order, self.timezone)
        if isinstance(result, str):
            raise IngestError(result, subject=value)
        return result


@functools.lru_cache(maxsize=8192)
def _parse_cached(value: str, language: str, order: str, timezone: str) -> DateRange | str:
    """A DateRange, or the reason the value is not a date (exceptions are not cached)."""
    text = " ".join(value.split())
    for sep in _RANGE_SEPARATORS:
        if sep in text:
            first, _, second = text.partition(sep)
            start = _parse_one(first, language, order)
            if isinstance(start, str):
                return start
            end = _parse_one(second, language, order)
            if isinstance(end, str):
                # Same-day ranges show only the end time: "June 18, 2025 12:29 PM → 1:30 PM".
                end_time = _strict_time(_clean(second))
                if end_time is None:
                    return end
                end = datetime.combine(start.date(), end_time)
            return DateRange(_to_utc(start, timezone), _to_utc(end, timezone))
    single = _parse_one(text, language, order)
    if isinstance(single, str):
        return single
    return DateRange(_to_utc(single, timezone))


def _clean(text: str) -> str:
    return text.strip().lstrip("@").strip()


def _parse_one(raw: str, language: str, order: str) -> datetime | str:
    """A naive local datetime (aware when the text has an offset), or why it is not a date."""
    text = _clean(raw)
    if not text:
        return "empty date"
    if _RELATIVE_RE.match(text):
        return f"relative date {text!r} is not guessed: the export does not record the day it was relative to"
    formats = (*_EN_FORMATS, *_ISO_FORMATS) if language == "en" else _ISO_FORMATS
    for fmt in formats:
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    return _dateparser(text, language, order)


def _dateparser(text: str, language: str, order: str) -> datetime | str:
    import dateparser  # slow to import and to run: only for forms strptime did not cover

    settings = {
        "DATE_ORDER": order,
        "PARSERS": ["absolute-time"],  # never relative-time: that would guess the export day
        "REQUIRE_PARTS": ["day", "month", "year"],
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    try:
        parsed: datetime | None = dateparser.parse(text, languages=[language], settings=settings)
    except (ValueError, TypeError, OverflowError) as err:
        return f"not a date in locale language {language!r}: {text!r} ({err})"
    if parsed is None:
        return f"not a date in locale language {language!r} (date order {order}): {text!r}"
    return parsed


def _strict_time(text: str) -> time | None:
    for fmt in _TIME_FORMATS:
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    return None


def _to_utc(dt: datetime, timezone: str) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=ZoneInfo(timezone))
    return dt.astimezone(UTC)
