"""Date mentions as Notion's Markdown exporter writes them, so a pulled page and its export agree.

The API gives a date mention as ``{"start": "2025-02-05", "end": null, "time_zone": null}`` with
``plain_text`` ``2025-02-05``; the export writes what the exporting user saw: ``@February 5, 2025``
(the real sample export, ``/work/shared/samples/notion``: 270 database rows titled that way). Near
the day of the export it writes the date relative to it instead. The sample was exported on
Wednesday 2025-08-06 (its zip entries' date) and shows, for rows whose creation date matches:

====================  ===========================
export text           date
====================  ===========================
``@Today``            2025-08-06 (the export day)
``@Yesterday``        2025-08-05
``@Monday``           2025-08-04 (this week)
``@Last Sunday``      2025-08-03 (the week before, Monday to Sunday)
``@Last Monday``      2025-07-28
``@July 27, 2025``    2025-07-27 and earlier
====================  ===========================

So ``date_mention`` writes the absolute form, and the export ingestor turns the relative forms
back into it (``absolute_mentions``) from the export's day. Not in the sample, so assumed by
symmetry: ``@Tomorrow``, ``@Next <weekday>``, a weekday later this week; weeks starting on Monday
(the sample's user; Notion lets a user start weeks on Sunday, which would move ``Last Sunday``
by a week); a mention with a time written ``@February 1, 2022 7:07 PM`` (the HTML export's
``<time>`` form) and a range ``@April 23, 2024 → May 22, 2024`` (the property form). Dates are
written in English (``notion.locale`` en-US); an export in another locale writes month names in
its language, and those chunks differ (they are re-embedded once, ``kb.ingest.reuse``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_RELATIVE_RE = re.compile(
    r"@(?P<word>Today|Yesterday|Tomorrow|(?:(?P<which>Last|Next) )?(?P<day>" + "|".join(_WEEKDAYS) + r"))\b"
)


def export_date(day: date) -> str:
    """``February 5, 2025``: the export's en-US long date."""
    return f"{day:%B} {day.day}, {day.year}"


def _instant(value: str, tz: ZoneInfo) -> str:
    if len(value) == 10:
        return export_date(date.fromisoformat(value))
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    local = at.astimezone(tz) if at.tzinfo else at
    hour = local.hour % 12 or 12
    return f"{export_date(local.date())} {hour}:{local:%M} {'AM' if local.hour < 12 else 'PM'}"


def date_mention(value: object, tz: ZoneInfo) -> str | None:
    """The export's text of an API date mention (``mention.date``); None when it has no start."""
    if not isinstance(value, dict) or not isinstance(value.get("start"), str) or not value["start"]:
        return None
    zone = tz
    if isinstance(value.get("time_zone"), str):
        try:
            zone = ZoneInfo(value["time_zone"])
        except (KeyError, ValueError):  # an unknown zone name: the configured one
            zone = tz
    start = _instant(value["start"], zone)
    end = value.get("end")
    return f"@{start} → {_instant(end, zone)}" if isinstance(end, str) and end else f"@{start}"


def _resolve(word: str, which: str | None, day_name: str | None, today: date) -> date:
    if word == "Today":
        return today
    if word == "Yesterday":
        return today - timedelta(days=1)
    if word == "Tomorrow":
        return today + timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    weeks = {"Last": -1, "Next": 1}.get(which or "", 0)
    return monday + timedelta(weeks=weeks, days=_WEEKDAYS.index(str(day_name)))


def absolute_mentions(text: str, exported_on: date | None) -> str:
    """``text`` with the export's relative date mentions (``@Today``, ``@Last Wednesday``) written
    as absolute ones (``@August 6, 2025``), given the day of the export in the exporting user's
    time zone; unchanged when that day is unknown."""
    if exported_on is None or "@" not in text:
        return text
    return _RELATIVE_RE.sub(
        lambda m: "@" + export_date(_resolve(m["word"], m["which"], m["day"], exported_on)), text
    )
