"""NSE trading sessions, read from their one home, seeds/trading_calendar.csv.

The seed lists the regular sessions of exchange-calendars' XBOM calendar (NSE and BSE share
holidays; written by scripts/generate_trading_calendar.py) and the one-off sessions the exchanges
announce by circular (Muhurat trading on Diwali, Budget days on a weekend, disaster-recovery live
sessions), each with its reason in `special_session`: end-of-day files exist for them, so the daily
job must not skip them and the data-quality models (stg_trading_calendar) count them as sessions.
Within the years of the seed's regular sessions the check reads the seed, which spares the daily
job importing exchange-calendars and pandas (about 0.6 s); other days ask the library.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from strategy_engine.paths import PROJECT_DIR

CALENDAR_NAME = "XBOM"
SEEDED_CALENDAR = PROJECT_DIR / "seeds" / "trading_calendar.csv"


@lru_cache(maxsize=1)
def _seed_rows() -> tuple[tuple[date, str], ...]:
    """(day, special-session reason or "") of the seed's rows of the calendar (none when missing)."""
    if not SEEDED_CALENDAR.is_file():
        return ()
    with SEEDED_CALENDAR.open(newline="") as seed:
        return tuple((date.fromisoformat(row["trade_date"]), row.get("special_session") or "")
                     for row in csv.DictReader(seed) if row["exchange_calendar"] == CALENDAR_NAME)


def special_sessions() -> dict[date, str]:
    """The seed's one-off sessions: day -> reason."""
    return {day: reason for day, reason in _seed_rows() if reason}


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
    return frozenset(day for day, reason in _seed_rows() if not reason)


def _seeded_check(day: date) -> SessionCheck | None:
    sessions = seeded_sessions()
    if not sessions or not min(sessions) <= day <= max(sessions):
        return None
    if day in sessions:
        return SessionCheck(day, True, "regular session")
    return SessionCheck(day, False, "weekend" if day.weekday() >= 5 else "exchange holiday")


def check_session(day: date) -> SessionCheck:
    """Whether `day` is an NSE trading session, and why (holiday name is not exposed, so a reason)."""
    special = special_sessions()
    if day in special:
        return SessionCheck(day, True, f"special session: {special[day]}")
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
