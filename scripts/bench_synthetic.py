"""Deterministic synthetic universes for the benchmark, written straight into trading_data.market_data.

Prices are a geometric random walk per symbol (drift and volatility drawn per symbol from a seeded
generator), with open/high/low consistent with the close so no row is rejected by staging. The same
(symbols, years, seed) always produces the same rows, so runs on different days are comparable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

# A fixed last day keeps every universe in the past (staging rejects future dates) and identical
# from run to run; the "new day" of the incremental run is the next business day.
LAST_DAY = date(2025, 12, 31)
TRADING_DAYS_PER_YEAR = 252
LOADED_AT = pd.Timestamp("2026-01-01 00:00:00")
SYMBOLS_PER_CHUNK = 250


@dataclass(frozen=True)
class Universe:
    symbols: int
    years: int
    seed: int = 20260101

    @property
    def label(self) -> str:
        return f"{self.symbols}x{self.years}y"

    @property
    def days(self) -> int:
        return self.years * TRADING_DAYS_PER_YEAR

    @property
    def rows(self) -> int:
        return self.symbols * self.days

    def symbol_names(self) -> list[str]:
        return [f"SYN{i:05d}" for i in range(self.symbols)]

    def trade_dates(self) -> pd.DatetimeIndex:
        return pd.bdate_range(end=pd.Timestamp(LAST_DAY), periods=self.days)

    def next_day(self, number: int = 1) -> pd.Timestamp:
        """The `number`-th business day after the history (1: the first daily run's session)."""
        return pd.bdate_range(start=pd.Timestamp(LAST_DAY) + pd.Timedelta(days=1), periods=number)[-1]


def _walk(rng: np.random.Generator, symbols: int, days: int) -> dict[str, np.ndarray]:
    """OHLCV arrays of shape (days, symbols)."""
    drift = rng.uniform(-0.0002, 0.0006, symbols)
    vol = rng.uniform(0.008, 0.03, symbols)
    start = rng.uniform(20.0, 3000.0, symbols)
    log_returns = drift + vol * rng.standard_normal((days, symbols))
    close = start * np.exp(np.cumsum(log_returns, axis=0))
    previous_close = np.vstack([start[None, :], close[:-1]])
    open_ = previous_close * np.exp(0.3 * vol * rng.standard_normal((days, symbols)))
    spread_up = np.abs(vol * rng.standard_normal((days, symbols))) * 0.6
    spread_down = np.abs(vol * rng.standard_normal((days, symbols))) * 0.6
    high = np.maximum(open_, close) * np.exp(spread_up)
    low = np.minimum(open_, close) * np.exp(-spread_down)
    volume = rng.lognormal(mean=13.0, sigma=0.6, size=(days, symbols)).astype(np.int64) + 1
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def _frame(symbols: list[str], dates: pd.DatetimeIndex, arrays: dict[str, np.ndarray], source: str) -> pd.DataFrame:
    days, width = arrays["close"].shape
    # symbol-major order: rows of one symbol are contiguous, as a loader would write them
    frame = pd.DataFrame({
        "symbol": np.repeat(np.array(symbols, dtype=object), days),
        "trade_date": np.tile(dates.date, width),
        **{name: arrays[name].T.reshape(-1) for name in ("open", "high", "low", "close", "volume")},
    })
    frame["value"] = frame["close"] * frame["volume"]
    frame["trades"] = (frame["volume"] // 100 + 1).astype(np.int64)
    frame["series"] = "EQ"
    frame["exchange"] = "NSE"
    frame["source_file"] = source
    frame["loaded_at"] = LOADED_AT
    return frame


def write_universe(con: duckdb.DuckDBPyConnection, universe: Universe) -> int:
    """Write the whole history of the universe; returns the number of rows written."""
    dates = universe.trade_dates()
    names = universe.symbol_names()
    written = 0
    for chunk_start in range(0, universe.symbols, SYMBOLS_PER_CHUNK):
        chunk = names[chunk_start:chunk_start + SYMBOLS_PER_CHUNK]
        # one seed per chunk: the universe does not depend on how many chunks were written before
        rng = np.random.default_rng([universe.seed, chunk_start])
        frame = _frame(chunk, dates, _walk(rng, len(chunk), len(dates)), f"synthetic_{universe.label}")
        _insert(con, frame)
        written += len(frame)
    return written


def next_session_frame(con: duckdb.DuckDBPyConnection, universe: Universe, number: int = 1) -> pd.DataFrame:
    """The rows of session `universe.next_day(number)` for every symbol, continuing from the latest
    close in the warehouse (so sessions 1, 2, ... follow each other when loaded in turn)."""
    day = universe.next_day(number)
    last = con.execute(
        """
        select symbol, close from trading_data.market_data
        where trade_date = (select max(trade_date) from trading_data.market_data where trade_date < ?)
        order by symbol
        """,
        [day.date()],
    ).df()
    rng = np.random.default_rng([universe.seed, 999_999, number])
    change = np.exp(0.015 * rng.standard_normal(len(last)))
    close = last["close"].to_numpy() * change
    open_ = last["close"].to_numpy() * np.exp(0.005 * rng.standard_normal(len(last)))
    arrays = {
        "open": open_[None, :],
        "high": (np.maximum(open_, close) * 1.005)[None, :],
        "low": (np.minimum(open_, close) * 0.995)[None, :],
        "close": close[None, :],
        "volume": rng.lognormal(13.0, 0.6, len(last)).astype(np.int64)[None, :] + 1,
    }
    frame = _frame(last["symbol"].tolist(), pd.DatetimeIndex([day]), arrays, "synthetic_next_day")
    frame["loaded_at"] = LOADED_AT + pd.Timedelta(days=number)
    return frame


def append_next_day(con: duckdb.DuckDBPyConnection, universe: Universe, number: int = 1) -> pd.Timestamp:
    """Append session `number` after the history for every symbol, straight into the source table."""
    _insert(con, next_session_frame(con, universe, number))
    return universe.next_day(number)


LOADER_COLUMNS = ("symbol", "trade_date", "open", "high", "low", "close", "volume", "value", "trades", "series",
                  "exchange")


def write_session_csv(con: duckdb.DuckDBPyConnection, universe: Universe, number: int, path: Path) -> pd.Timestamp:
    """Session `number` as a CSV file `strategy-engine load` reads (the way a user adds a day)."""
    frame = next_session_frame(con, universe, number)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.loc[:, list(LOADER_COLUMNS)].to_csv(path, index=False, float_format="%.17g")
    return universe.next_day(number)


def _insert(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    con.register("synthetic_rows", frame)
    con.execute("""
        insert into trading_data.market_data
        select symbol, trade_date, open, high, low, close, volume, value, trades, series, exchange,
               source_file, loaded_at
        from synthetic_rows
    """)
    con.unregister("synthetic_rows")
