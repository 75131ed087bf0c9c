"""NSE trading sessions: exchange-calendars' XBOM calendar plus the exchange's special sessions.

NSE and BSE share holidays, so the maintained XBOM calendar is the source of regular sessions.
It does not know the one-off sessions the exchanges announce by circular (Muhurat trading on
Diwali, Budget days on a weekend, disaster-recovery live sessions); those are listed here, each
with its reason, because end-of-day files exist for them and the daily job must not skip them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache

CALENDAR_NAME = "XBOM"

SPECIAL_SESSIONS: dict[date, str] = {
    date(2015, 2, 28): "Union Budget on a Saturday",
    date(2017, 10, 19): "Muhurat trading (Diwali)",
    date(2018, 11, 7): "Muhurat trading (Diwali)",
    date(2019, 10, 27): "Muhurat trading (Diwali, Sunday)",
    date(2020, 2, 1): "Union Budget on a Saturday",
    date(2020, 11, 14): "Muhurat trading (Diwali, Saturday)",
    date(2021, 11, 4): "Muhurat trading (Diwali)",
    date(2022, 10, 24): "Muhurat trading (Diwali)",
    date(2023, 11, 12): "Muhurat trading (Diwali, Sunday)",
    date(2024, 1, 20): "Special live session from the disaster-recovery site (Saturday)",
    date(2024, 3, 2): "Special live session from the disaster-recovery site (Saturday)",
    date(2024, 11, 1): "Muhurat trading (Diwali)",
    date(2025, 2, 1): "Union Budget on a Saturday",
    date(2025, 10, 21): "Muhurat trading (Diwali)",
}


@dataclass(frozen=True)
class SessionCheck:
    day: date
    is_session: bool
    reason: str


@lru_cache(maxsize=1)
def _calendar():  # noqa: ANN202 - exchange_calendars has no public type for this
    import exchange_calendars

    return exchange_calendars.get_calendar(CALENDAR_NAME)


def check_session(day: date) -> SessionCheck:
    """Whether `day` is an NSE trading session, and why (holiday name is not exposed, so a reason)."""
    if day in SPECIAL_SESSIONS:
        return SessionCheck(day, True, f"special session: {SPECIAL_SESSIONS[day]}")
    calendar = _calendar()
    first, last = calendar.first_session.date(), calendar.last_session.date()
    if not first <= day <= last:
        weekday = day.weekday() < 5
        return SessionCheck(
            day, weekday,
            f"outside the {CALENDAR_NAME} calendar ({first}..{last}): "
            + ("weekday, assumed a session" if weekday else "weekend"),
        )
    if calendar.is_session(day.isoformat()):
        return SessionCheck(day, True, "regular session")
    if day.weekday() >= 5:
        return SessionCheck(day, False, "weekend")
    return SessionCheck(day, False, "exchange holiday")


def is_trading_session(day: date) -> bool:
    return check_session(day).is_session
