"""NSE sessions: real holidays are skipped, special sessions are kept."""

from __future__ import annotations

import re
import sys
from datetime import date

import pytest

from strategy_engine.calendar import (
    SessionCheck,
    check_session,
    is_trading_session,
    seeded_sessions,
    special_sessions,
    xbom_calendar,
)
from strategy_engine.paths import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
import generate_trading_calendar as generator  # noqa: E402


@pytest.mark.parametrize(
    "day",
    [
        date(2021, 11, 5),   # Diwali Balipratipada
        date(2022, 1, 26),   # Republic Day
        date(2021, 3, 29),   # Holi
        date(2020, 11, 15),  # Sunday after the Muhurat session
    ],
)
def test_holidays_and_weekends_are_not_sessions(day: date) -> None:
    assert not is_trading_session(day)


def test_regular_session() -> None:
    check = check_session(date(2022, 2, 1))
    assert check.is_session and check.reason == "regular session"


@pytest.mark.parametrize("day", [date(2020, 11, 14), date(2020, 2, 1), date(2021, 11, 4)])
def test_special_sessions_are_sessions(day: date) -> None:
    check = check_session(day)
    assert check.is_session and check.reason.startswith("special session")


def test_holiday_reason_is_named() -> None:
    assert check_session(date(2021, 11, 5)).reason == "exchange holiday"
    assert check_session(date(2021, 11, 6)).reason == "weekend"


def test_seeded_calendar_is_the_library_calendar() -> None:
    """The runner reads seeds/trading_calendar.csv where it covers the day: it must list exactly
    XBOM's sessions (run scripts/generate_trading_calendar.py after upgrading exchange-calendars)."""
    seeded = seeded_sessions()
    library = xbom_calendar()
    expected = {day.date() for day in library.sessions_in_range(min(seeded).isoformat(), max(seeded).isoformat())}
    assert seeded == expected


@pytest.mark.parametrize("day", [date(2012, 1, 26), date(2012, 1, 27), date(2012, 1, 28)])
def test_days_before_the_seed_ask_the_library(day: date) -> None:
    assert day < min(seeded_sessions())
    assert check_session(day).is_session == xbom_calendar().is_session(day.isoformat())


def test_the_seed_is_the_one_home_of_the_special_sessions() -> None:
    """Issue 15: the special sessions live in seeds/trading_calendar.csv (which the data-quality
    models read), not in a second list in calendar.py; the runner's check reads them from there."""
    specials = special_sessions()
    assert {date(2017, 10, 19), date(2020, 2, 1), date(2020, 11, 14), date(2015, 2, 28)} <= set(specials)
    assert not specials.keys() & seeded_sessions()
    for day, reason in specials.items():
        assert check_session(day) == SessionCheck(day, True, f"special session: {reason}")
    source = (PROJECT_DIR / "strategy_engine" / "calendar.py").read_text()
    assert not re.search(r"date\(\d{4},", source), "calendar.py lists sessions again"


def test_the_generator_rewrites_the_seed_as_it_is() -> None:
    """scripts/generate_trading_calendar.py reproduces the seed from the library's sessions and the
    seed's own special sessions, so regenerating it never drops one."""
    seed = PROJECT_DIR / "seeds" / "trading_calendar.csv"
    last = max(seeded_sessions())
    regular = [day for day in generator.sessions(generator.FIRST_YEAR, last.year) if day <= last.isoformat()]
    assert generator.seed_lines(regular, generator.special_sessions(seed)) == seed.read_text().splitlines()
