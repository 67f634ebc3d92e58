"""The business calendar: deadlines across nights, weekends, holidays and DST."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from support.calendar import (
    BusinessCalendar,
    add_business_hours,
    business_time_between,
    get_calendar,
    is_open,
)

PARIS = ZoneInfo("Europe/Paris")
CAL = BusinessCalendar.from_config(
    {
        "days": [0, 1, 2, 3, 4],
        "open": "09:00",
        "close": "18:00",
        "time_zone": "Europe/Paris",
        "country": "FR",
        "subdivision": None,
    }
)


def paris(y, m, d, h=0, mi=0) -> datetime:
    return datetime(y, m, d, h, mi, tzinfo=PARIS)


def test_a_ticket_opened_friday_at_17_is_due_wednesday_at_14():
    # Friday 2026-11-20 17:00: 1 h Friday, 9 h Monday, 9 h Tuesday, 5 h Wednesday.
    assert add_business_hours(paris(2026, 11, 20, 17), 24, CAL) == paris(2026, 11, 25, 14)


def test_it_is_due_thursday_when_that_monday_is_easter_monday():
    # Good Friday 2026-04-03 is a working day in France; Easter Monday 2026-04-06 is not.
    assert add_business_hours(paris(2026, 4, 3, 17), 24, CAL) == paris(2026, 4, 9, 14)


def test_it_is_due_thursday_when_that_monday_is_whit_monday():
    assert add_business_hours(paris(2026, 5, 22, 17), 24, CAL) == paris(2026, 5, 28, 14)


def test_a_ticket_opened_within_a_day_runs_over_the_night():
    # Tuesday 10:00: 8 h Tuesday, 9 h Wednesday, 7 h Thursday.
    assert add_business_hours(paris(2026, 11, 17, 10), 24, CAL) == paris(2026, 11, 19, 16)


def test_hours_that_end_at_closing_time_stay_at_closing_time():
    assert add_business_hours(paris(2026, 11, 17, 9), 9, CAL) == paris(2026, 11, 17, 18)


def test_a_ticket_opened_at_night_starts_the_clock_at_next_opening():
    assert add_business_hours(paris(2026, 11, 17, 22), 1, CAL) == paris(2026, 11, 18, 10)
    assert add_business_hours(paris(2026, 11, 18, 6, 30), 1, CAL) == paris(2026, 11, 18, 10)


def test_a_ticket_opened_on_saturday_starts_the_clock_on_monday_at_9():
    saturday = paris(2026, 11, 21, 11)
    assert add_business_hours(saturday, Decimal("0.5"), CAL) == paris(2026, 11, 23, 9, 30)
    assert add_business_hours(saturday, 24, CAL) == paris(2026, 11, 25, 15)


def test_the_first_of_may_is_skipped():
    # Thursday 2026-04-30 17:00: 1 h, Friday 1 May closed, Monday 9 h, Tuesday 9 h, Wednesday 5 h.
    assert add_business_hours(paris(2026, 4, 30, 17), 24, CAL) == paris(2026, 5, 6, 14)


def test_the_fourteenth_of_july_is_skipped():
    # Monday 2026-07-13 17:00: 1 h, Tuesday 14 July closed, Wed 9, Thu 9, Fri 5.
    assert add_business_hours(paris(2026, 7, 13, 17), 24, CAL) == paris(2026, 7, 17, 14)


def test_christmas_is_skipped_but_boxing_day_only_in_alsace_moselle():
    # Christmas 2025 is a Thursday; Saint-Étienne (Friday 26) is off in Alsace-Moselle only.
    start = paris(2025, 12, 23, 17)  # Tuesday
    # Tue 1 h, Wed 24 9 h, Thu 25 closed, Fri 26 9 h, Mon 29 5 h.
    assert add_business_hours(start, 24, CAL) == paris(2025, 12, 29, 14)
    moselle = BusinessCalendar.from_config({"time_zone": "Europe/Paris", "subdivision": "57"})
    # In Moselle the 26th is closed too: Mon 29 9 h, Tue 30 5 h.
    assert add_business_hours(start, 24, moselle) == paris(2025, 12, 30, 14)


def test_good_friday_is_a_holiday_in_alsace_moselle_only():
    moselle = BusinessCalendar.from_config({"subdivision": "57"})
    assert moselle.is_holiday(paris(2026, 4, 3).date())
    assert not CAL.is_holiday(paris(2026, 4, 3).date())


def test_business_time_runs_across_the_spring_dst_change():
    # Sunday 2026-03-29 Paris skips 02:00 → 03:00; Friday 27 17:00 + 2 h = Monday 10:00.
    friday = paris(2026, 3, 27, 17)
    due = add_business_hours(friday, 2, CAL)
    assert due == paris(2026, 3, 30, 10)
    assert due.utcoffset() == timedelta(hours=2)
    assert business_time_between(friday, due, CAL) == timedelta(hours=2)


def test_business_time_runs_across_the_autumn_dst_change():
    # Sunday 2026-10-25 Paris repeats 02:00-03:00; no business hour is gained or lost.
    friday = paris(2026, 10, 23, 17)
    due = add_business_hours(friday, 24, CAL)
    assert due == paris(2026, 10, 28, 14)
    assert due.utcoffset() == timedelta(hours=1)
    assert business_time_between(friday, due, CAL) == timedelta(hours=24)


def test_opening_hours_that_contain_the_dst_change_count_real_time():
    night = BusinessCalendar.from_config(
        {"days": [6], "open": "01:00", "close": "04:00", "country": None}
    )
    sunday = paris(2026, 3, 29).date()
    window = night.window(sunday)
    assert window is not None
    assert window[1] - window[0] == timedelta(hours=2)  # 01:00 → 04:00 lost an hour


def test_utc_input_gives_a_paris_deadline():
    start = datetime(2026, 11, 20, 16, tzinfo=UTC)  # 17:00 in Paris
    assert add_business_hours(start, 24, CAL) == paris(2026, 11, 25, 14)


def test_a_timedelta_budget_is_accepted():
    assert add_business_hours(paris(2026, 11, 17, 9), timedelta(minutes=90), CAL) == paris(
        2026, 11, 17, 10, 30
    )


def test_business_time_between_counts_only_opening_hours():
    assert business_time_between(paris(2026, 11, 20, 17), paris(2026, 11, 25, 14), CAL) == (
        timedelta(hours=24)
    )
    assert business_time_between(paris(2026, 11, 21, 10), paris(2026, 11, 22, 20), CAL) == (
        timedelta(0)
    )
    assert business_time_between(paris(2026, 11, 17, 12), paris(2026, 11, 17, 11), CAL) == (
        timedelta(hours=-1)
    )


def test_business_time_between_skips_holidays():
    assert business_time_between(paris(2026, 4, 30, 9), paris(2026, 5, 4, 18), CAL) == (
        timedelta(hours=18)
    )


@pytest.mark.parametrize("hours", [1, 7.5, 9, 24, 40, 100])
@pytest.mark.parametrize(
    "start",
    [
        paris(2026, 3, 27, 15),
        paris(2026, 10, 24, 3),
        paris(2026, 12, 24, 17, 45),
        paris(2026, 4, 3, 8),
    ],
)
def test_adding_then_measuring_gives_back_the_budget(start, hours):
    due = add_business_hours(start, hours, CAL)
    assert business_time_between(start, due, CAL) == timedelta(hours=hours)
    assert is_open(due - timedelta(seconds=1), CAL)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        add_business_hours(datetime(2026, 11, 20, 17), 1, CAL)  # noqa: DTZ001


def test_a_calendar_without_days_is_refused():
    with pytest.raises(ValueError, match="opening day"):
        BusinessCalendar.from_config({"days": []})


def test_the_calendar_comes_from_settings(settings):
    settings.SUPPORT_CALENDAR = {**settings.SUPPORT_CALENDAR, "open": "08:00", "days": [0]}
    cal = get_calendar()
    assert cal.opens.hour == 8
    assert cal.days == frozenset({0})
