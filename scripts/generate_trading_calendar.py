"""Writes seeds/trading_calendar.csv: the NSE/BSE sessions exchange-calendars knows (XBOM).

Run again when exchange-calendars is upgraded or the exchange publishes next year's holidays:
    python scripts/generate_trading_calendar.py
Only the library's regular sessions are written, on purpose: one-off sessions it does not know
(Muhurat trading, Budget Saturdays) then show up in data_quality_warnings as rows on non-calendar
days, and days it lists that have no data show up as calendar days without rows.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import exchange_calendars

CALENDAR_NAME = "XBOM"
FIRST_YEAR = 2016
SEED = Path(__file__).resolve().parent.parent / "seeds" / "trading_calendar.csv"


def sessions(first_year: int, last_year: int) -> list[str]:
    calendar = exchange_calendars.get_calendar(CALENDAR_NAME)
    # the library records holidays only a year or so ahead: stop at its last session
    start = max(f"{first_year}-01-01", calendar.first_session.date().isoformat())
    end = min(f"{last_year}-12-31", calendar.last_session.date().isoformat())
    return [day.date().isoformat() for day in calendar.sessions_in_range(start, end)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-year", type=int, default=FIRST_YEAR)
    parser.add_argument("--last-year", type=int, default=2030)
    parser.add_argument("--out", type=Path, default=SEED)
    args = parser.parse_args()
    days = sessions(args.first_year, args.last_year)
    lines = ["trade_date,exchange_calendar"] + [f"{day},{CALENDAR_NAME}" for day in days]
    args.out.write_text("\n".join(lines) + "\n")
    print(f"{len(days)} sessions {days[0]}..{days[-1]} from exchange-calendars "
          f"{exchange_calendars.__version__} {CALENDAR_NAME} -> {args.out}")


if __name__ == "__main__":
    main()
