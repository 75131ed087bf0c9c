"""Writes seeds/trading_calendar.csv: the NSE/BSE sessions exchange-calendars knows (XBOM), plus the
special sessions the seed already lists.

Run again when exchange-calendars is upgraded or the exchange publishes next year's holidays:
    python scripts/generate_trading_calendar.py
The seed is the one home of the trading calendar (the data-quality models read it through
stg_trading_calendar, the runner through strategy_engine/calendar.py). The library knows only
regular sessions; the one-off sessions the exchanges announce by circular (Muhurat trading on
Diwali, Budget days on a weekend, disaster-recovery live sessions) are rows with their reason in
`special_session`, added to the seed by hand. This script rewrites the regular rows and keeps those.
"""

from __future__ import annotations

import argparse
import csv
import io
from pathlib import Path

import exchange_calendars

CALENDAR_NAME = "XBOM"
FIRST_YEAR = 2016
SEED = Path(__file__).resolve().parent.parent / "seeds" / "trading_calendar.csv"
HEADER = ["trade_date", "exchange_calendar", "special_session"]


def sessions(first_year: int, last_year: int) -> list[str]:
    calendar = exchange_calendars.get_calendar(CALENDAR_NAME)
    # the library records holidays only a year or so ahead: stop at its last session
    start = max(f"{first_year}-01-01", calendar.first_session.date().isoformat())
    end = min(f"{last_year}-12-31", calendar.last_session.date().isoformat())
    return [day.date().isoformat() for day in calendar.sessions_in_range(start, end)]


def special_sessions(seed: Path) -> dict[str, str]:
    """The special sessions the seed lists: day -> reason."""
    if not seed.is_file():
        return {}
    with seed.open(newline="") as handle:
        return {row["trade_date"]: row["special_session"] for row in csv.DictReader(handle)
                if row.get("special_session")}


def seed_lines(regular: list[str], special: dict[str, str]) -> list[str]:
    """The seed's lines: every session in date order, special ones with their reason."""
    rows = {day: "" for day in regular}
    overlap = sorted(set(rows) & set(special))
    if overlap:
        raise SystemExit(f"special sessions the library now lists as regular, remove them from the seed: {overlap}")
    rows.update(special)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    writer.writerows([day, CALENDAR_NAME, rows[day]] for day in sorted(rows))
    return buffer.getvalue().splitlines()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--first-year", type=int, default=FIRST_YEAR)
    parser.add_argument("--last-year", type=int, default=2030)
    parser.add_argument("--out", type=Path, default=SEED)
    args = parser.parse_args()
    days = sessions(args.first_year, args.last_year)
    special = special_sessions(args.out)
    args.out.write_text("\n".join(seed_lines(days, special)) + "\n")
    print(f"{len(days)} sessions {days[0]}..{days[-1]} from exchange-calendars "
          f"{exchange_calendars.__version__} {CALENDAR_NAME}, {len(special)} special sessions kept -> {args.out}")


if __name__ == "__main__":
    main()
