"""Tests for ingestors.dates: Notion date strings in a locale and time zone, by value."""

from datetime import UTC, datetime

import pytest

from ingestors.dates import DateRange, NotionDates, _parse_cached, locale_language_and_order
from kb.errors import ConfigError, IngestError


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_us_datetime_is_read_in_the_exporting_users_time_zone() -> None:
    dates = NotionDates("en-US", "America/New_York")
    assert dates.parse("June 18, 2025 12:29 PM") == DateRange(at(2025, 6, 18, 16, 29))


def test_winter_time_uses_the_winter_offset() -> None:
    dates = NotionDates("en-US", "America/New_York")
    assert dates.parse("January 15, 2025 9:00 AM").start == at(2025, 1, 15, 14, 0)


def test_abbreviated_month_with_zero_padded_day() -> None:
    assert NotionDates("en-US", "UTC").parse("Apr 02, 2021 8:07 AM").start == at(2021, 4, 2, 8, 7)


def test_date_only_is_local_midnight() -> None:
    assert NotionDates("en-US", "Europe/Berlin").parse("May 12, 2024").start == at(2024, 5, 11, 22, 0)


def test_leading_at_of_a_date_mention_is_ignored() -> None:
    assert NotionDates("en-US", "UTC").parse("@December 1, 2024 ").start == at(2024, 12, 1)


def test_range_returns_both_ends() -> None:
    rng = NotionDates("en-US", "UTC").parse("April 23, 2024 → May 22, 2024")
    assert rng == DateRange(at(2024, 4, 23), at(2024, 5, 22))


def test_same_day_range_with_only_an_end_time() -> None:
    rng = NotionDates("en-US", "UTC").parse("@June 18, 2025 12:29 PM → 1:30 PM")
    assert rng == DateRange(at(2025, 6, 18, 12, 29), at(2025, 6, 18, 13, 30))


def test_german_locale() -> None:
    dates = NotionDates("de-DE", "Europe/Berlin")
    assert dates.parse("27. Juli 2023 11:52").start == at(2023, 7, 27, 9, 52)
    assert dates.parse("1. März 2024").start == at(2024, 2, 29, 23, 0)


def test_iso_like_form() -> None:
    assert NotionDates("en-GB", "UTC").parse("2023-05-23, 16:25").start == at(2023, 5, 23, 16, 25)


def test_explicit_offset_wins_over_the_configured_zone() -> None:
    dates = NotionDates("en-US", "America/New_York")
    assert dates.parse("2024-01-05T10:00:00+02:00").start == at(2024, 1, 5, 8, 0)


def test_numeric_dates_follow_the_locale_date_order() -> None:
    assert NotionDates("en-US", "UTC").parse("03/04/2024").start == at(2024, 3, 4)
    assert NotionDates("en-GB", "UTC").parse("03/04/2024").start == at(2024, 4, 3)


@pytest.mark.parametrize(
    "value", ["Today", "@Today", "Last Wednesday", "@Last Saturday", "Yesterday", "Tomorrow", "3 days ago"]
)
def test_relative_phrases_are_refused_not_guessed(value: str) -> None:
    with pytest.raises(IngestError, match="relative date") as info:
        NotionDates("en-US", "UTC").parse(value)
    assert info.value.subject == value


def test_german_relative_phrase_is_refused() -> None:
    with pytest.raises(IngestError, match="relative date"):
        NotionDates("de-DE", "Europe/Berlin").parse("Gestern")


@pytest.mark.parametrize("value", ["Verified", "No", "May 2024", "", "13/45/2024"])
def test_unparseable_values_name_the_value(value: str) -> None:
    with pytest.raises(IngestError) as info:
        NotionDates("en-US", "UTC").parse(value)
    assert info.value.subject == value


def test_unknown_time_zone_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="Mars/Olympus"):
        NotionDates("en-US", "Mars/Olympus")


def test_locale_gives_language_and_date_order() -> None:
    assert locale_language_and_order("en-US") == ("en", "MDY")
    assert locale_language_and_order("en-GB") == ("en", "DMY")
    assert locale_language_and_order("de-DE") == ("de", "DMY")
    assert locale_language_and_order("ja-JP") == ("ja", "YMD")


def test_results_are_cached_per_string() -> None:
    dates = NotionDates("en-GB", "Europe/London")
    first = dates.parse("27 July 2023 11:52")
    hits = _parse_cached.cache_info().hits
    assert dates.parse("27 July 2023 11:52") == first == DateRange(at(2023, 7, 27, 10, 52))
    assert _parse_cached.cache_info().hits == hits + 1
