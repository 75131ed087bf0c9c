"""NSE trading sessions: exchange-calendars' XBOM calendar plus the exchange's special sessions.

NSE and BSE share holidays, so the maintained XBOM calendar is the source of regular sessions.
Within the years of seeds/trading_calendar.csv (written from XBOM by
scripts/generate_trading_calendar.py, and what the data-quality models read) the check reads that
seed: it is the same list (tests/python/test_calendar.py) and spares the daily job importing
exchange-calendars and pandas (about 0.6 s). Other days ask the library.
It does not know the one-off sessions the exchanges announce by circular (Muhurat trading on
Diwali, Budget days on a weekend, disaster-recovery live sessions); those are listed here, each
with its reason, because end-of-day files exist for them and the daily job must not skip them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from strategy_engine.paths import PROJECT_DIR

CALENDAR_NAME = "XBOM"
SEEDED_CALENDAR = PROJECT_DIR / "seeds" / "trading_calendar.csv"

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
def xbom_calendar():  # noqa: ANN202 - exchange_calendars has no public type for this
    import exchange_calendars

    return exchange_calendars.get_calendar(CALENDAR_NAME)


@lru_cache(maxsize=1)
def seeded_sessions() -> frozenset[date]:
    """The regular sessions of the trading_calendar seed (empty when the file is missing)."""
    if not SEEDED_CALENDAR.is_file():
        return frozenset()
    with SEEDED_CALENDAR.open(newline="") as seed:
        return frozenset(date.fromisoformat(row["trade_date"]) for row in csv.DictReader(seed)
                         if row["exchange_calendar"] == CALENDAR_NAME)


def _seeded_check(day: date) -> SessionCheck | None:
    sessions = seeded_sessions()
    if not sessions or not min(sessions) <= day <= max(sessions):
        return None
    if day in sessions:
        return SessionCheck(day, True, "regular session")
    return SessionCheck(day, False, "weekend" if day.weekday() >= 5 else "exchange holiday")


def check_session(day: date) -> SessionCheck:
    """Whether `day` is an NSE trading session, and why (holiday name is not exposed, so a reason)."""
    if day in SPECIAL_SESSIONS:
        return SessionCheck(day, True, f"special session: {SPECIAL_SESSIONS[day]}")
    seeded = _seeded_check(day)
    if seeded:
        return seeded
    calendar = xbom_calendar()
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
