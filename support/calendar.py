"""The business calendar that support deadlines are counted on.

Pure functions over a ``BusinessCalendar`` (opening days and hours in a time zone, minus
public holidays of a country/subdivision from the ``holidays`` package). Opening hours are
local wall-clock times; business time is the real time elapsed inside them, so days are
walked in local time (zoneinfo) and durations are measured in UTC: a DST change never
adds or removes an hour of opening time unless it falls inside the opening hours.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays

ZERO = timedelta(0)
# Guard against a calendar that never opens (every day a holiday): about three years.
MAX_DAYS = 367 * 3


@lru_cache(maxsize=16)
def _holidays_for(country: str, subdivision: str | None) -> holidays.HolidayBase:
    # The object expands to new years lazily and is reused across calls.
    return holidays.country_holidays(country, subdiv=subdivision)


@dataclass(frozen=True)
class BusinessCalendar:
    days: frozenset[int]  # 0 = Monday … 6 = Sunday
    opens: time
    closes: time
    time_zone: ZoneInfo
    country: str | None = "FR"
    subdivision: str | None = None

    def __post_init__(self) -> None:
        if not self.days:
            raise ValueError("A business calendar needs at least one opening day.")
        if self.opens >= self.closes:
            raise ValueError("Opening time must be before closing time.")

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> BusinessCalendar:
        days = config.get("days", [0, 1, 2, 3, 4])
        return cls(
            days=frozenset(int(d) for d in days),
            opens=time.fromisoformat(str(config.get("open", "09:00"))),
            closes=time.fromisoformat(str(config.get("close", "18:00"))),
            time_zone=ZoneInfo(str(config.get("time_zone", "Europe/Paris"))),
            country=(str(country) if (country := config.get("country", "FR")) else None),
            subdivision=(str(config["subdivision"]) if config.get("subdivision") else None),
        )

    def is_holiday(self, day: date) -> bool:
        if not self.country:
            return False
        return day in _holidays_for(self.country, self.subdivision)

    def is_business_day(self, day: date) -> bool:
        return day.weekday() in self.days and not self.is_holiday(day)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The opening hours of ``day`` as UTC datetimes, or None when closed."""
        if not self.is_business_day(day):
            return None
        start = datetime.combine(day, self.opens, tzinfo=self.time_zone)
        end = datetime.combine(day, self.closes, tzinfo=self.time_zone)
        return start.astimezone(UTC), end.astimezone(UTC)

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.time_zone).date()


def get_calendar() -> BusinessCalendar:
    """The calendar configured in ``settings.SUPPORT_CALENDAR``."""
    from django.conf import settings

    return _calendar_from_settings(tuple(sorted(_freeze(settings.SUPPORT_CALENDAR).items())))


def _freeze(config: Mapping[str, object]) -> dict[str, object]:
    return {k: tuple(v) if isinstance(v, list | tuple) else v for k, v in config.items()}


@lru_cache(maxsize=8)
def _calendar_from_settings(items: tuple[tuple[str, object], ...]) -> BusinessCalendar:
    return BusinessCalendar.from_config(dict(items))


def to_timedelta(hours: Decimal | float | int | timedelta) -> timedelta:
    if isinstance(hours, timedelta):
        return hours
    return timedelta(seconds=float(Decimal(str(hours)) * 3600))


def _check_aware(*moments: datetime) -> None:
    for moment in moments:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError("Business time needs timezone-aware datetimes.")


def _days(start: date, end: date | None = None) -> Iterable[date]:
    day = start
    if end is not None:
        while day <= end:
            yield day
            day += timedelta(days=1)
        return
    for _ in range(MAX_DAYS):
        yield day
        day += timedelta(days=1)
    raise ValueError("The business calendar has no opening hours in the next three years.")


def add_business_hours(
    start: datetime, hours: Decimal | float | int | timedelta, calendar: BusinessCalendar
) -> datetime:
    """The moment ``hours`` of opening time after ``start`` (in the calendar's zone).

    A start outside opening hours counts from the next opening (Saturday → Monday 9:00).
    A deadline that falls exactly on closing time stays there (18:00, not next 9:00).
    """
    _check_aware(start)
    remaining = to_timedelta(hours)
    if remaining < ZERO:
        raise ValueError("Cannot add a negative amount of business time.")
    if remaining == ZERO:
        return start.astimezone(calendar.time_zone)
    start_utc = start.astimezone(UTC)
    for day in _days(calendar.local_date(start)):
        window = calendar.window(day)
        if window is None:
            continue
        opens, closes = window
        cursor = max(start_utc, opens)
        if cursor >= closes:
            continue
        available = closes - cursor
        if remaining <= available:
            return (cursor + remaining).astimezone(calendar.time_zone)
        remaining -= available
    raise AssertionError("unreachable")  # _days raises first


def business_time_between(a: datetime, b: datetime, calendar: BusinessCalendar) -> timedelta:
    """Opening time elapsed from ``a`` to ``b`` (negative when ``b`` is before ``a``)."""
    _check_aware(a, b)
    if b < a:
        return -business_time_between(b, a, calendar)
    a_utc, b_utc = a.astimezone(UTC), b.astimezone(UTC)
    total = ZERO
    for day in _days(calendar.local_date(a), calendar.local_date(b)):
        window = calendar.window(day)
        if window is None:
            continue
        opens, closes = window
        overlap = min(closes, b_utc) - max(opens, a_utc)
        if overlap > ZERO:
            total += overlap
    return total


def is_open(moment: datetime, calendar: BusinessCalendar) -> bool:
    _check_aware(moment)
    window = calendar.window(calendar.local_date(moment))
    return window is not None and window[0] <= moment.astimezone(UTC) < window[1]
