"""Deterministic synthetic data: the one generator of the project's synthetic universes.

Two universes, both drawn from seeded numpy generators and both ending on DEFAULT_END (fixed, not
"today", so output does not depend on the clock):

* `generate` (`strategy-engine generate`, scale tests): files as an exchange would publish them.
  Each symbol follows a geometric random walk whose daily volatility switches between a calm and a
  stressed regime (a two-state Markov chain), opens with an overnight gap (occasionally a large
  one), and has high/low wicks around its open and close. Some symbols list part-way through the
  period, and a few split: their prices before the ex-date are written unadjusted (higher) and the
  split is written as a corporate action, exactly as a real exchange file and action list would
  present them. Everything is drawn in fixed-size blocks of symbols, so the same (symbols, years,
  seed, end) always writes byte-identical files.
* `Universe` (the benchmark, scripts/benchmark.py and scripts/bench_load.py): a plain geometric
  random walk per symbol (drift and volatility drawn per symbol), open/high/low consistent with the
  close so no row is rejected by staging, written straight into the source table. The published
  figures of docs/BENCHMARKS.md were measured on exactly these rows, so this walk is kept as it is
  (tests/python/test_synthetic.py pins a hash of a small universe).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

from strategy_engine.schemas import SOURCE_SCHEMA
from strategy_engine.source_tables import source_table

# The last synthetic session; fixed (not "today") so that output does not depend on the clock.
DEFAULT_END = date(2025, 12, 31)
BLOCK_SYMBOLS = 200
CALM_VOLATILITY, STRESSED_VOLATILITY = 0.012, 0.032
REGIME_SWITCH_PROBABILITY = 0.01
GAP_PROBABILITY, GAP_SCALE = 0.01, 0.06
SPLIT_RATIOS = np.array([2, 5, 10])

MARKET_HEADER = ["symbol", "date", "open", "high", "low", "close", "volume", "value", "trades", "series", "exchange"]


@dataclass
class GeneratedUniverse:
    market_path: Path
    actions_path: Path
    symbols: int
    sessions: int
    rows: int
    splits: int


def sessions(years: int, end: date) -> np.ndarray:
    """The weekdays of the `years` years ending on `end` (the synthetic exchange has no holidays)."""
    last = np.datetime64(end, "D")
    calendar_days = np.arange(last - np.timedelta64(round(years * 365.25) - 1, "D"), last + 1)
    return calendar_days[np.is_busday(calendar_days)]


def symbol_names(count: int) -> list[str]:
    width = max(4, len(str(count)))
    return [f"SYN{number:0{width}d}" for number in range(1, count + 1)]


def _block(
    rng: np.random.Generator, names: list[str], days: np.ndarray, splitting: np.ndarray,
) -> tuple[pa.Table, list[dict]]:
    """Simulate one block of symbols over all sessions; `splitting` marks the symbols that split once."""
    count, length = len(names), len(days)
    switches = rng.random((count, length)) < REGIME_SWITCH_PROBABILITY
    stressed = (np.cumsum(switches, axis=1) + rng.integers(0, 2, (count, 1))) % 2 == 1
    volatility = np.where(stressed, STRESSED_VOLATILITY, CALM_VOLATILITY)
    drift = rng.normal(0.0003, 0.0004, (count, 1))

    gaps = rng.normal(0.0, 0.25, (count, length)) * volatility
    large = rng.random((count, length)) < GAP_PROBABILITY
    gaps = np.where(large, rng.normal(0.0, GAP_SCALE, (count, length)), gaps)
    intraday = drift + rng.normal(0.0, 1.0, (count, length)) * volatility
    log_close = np.log(rng.lognormal(np.log(400), 1.0, (count, 1))) + np.cumsum(gaps + intraday, axis=1)
    close = np.exp(log_close)
    open_ = np.exp(log_close - intraday)
    upper = np.maximum(open_, close) * np.exp(np.abs(rng.normal(0.0, 0.5, (count, length))) * volatility)
    lower = np.minimum(open_, close) * np.exp(-np.abs(rng.normal(0.0, 0.5, (count, length))) * volatility)
    base_volume = rng.lognormal(np.log(1e6), 1.0, (count, 1))
    volume = base_volume * np.exp(rng.normal(0.0, 0.35, (count, length))) * (1 + 20 * np.abs(gaps + intraday))

    # a fifth of the symbols list part-way through the first 60% of the period
    first_session = np.where(rng.random(count) < 0.2, rng.integers(0, max(1, int(length * 0.6)), count), 0)
    listed = np.arange(length)[None, :] >= first_session[:, None]

    # pre-ex-date prices of a splitting symbol are written unadjusted
    splits: list[dict] = []
    factor = np.ones((count, length))
    ratios = SPLIT_RATIOS[rng.integers(0, len(SPLIT_RATIOS), count)]
    ex_index = rng.integers(0, length, count)
    for row in np.flatnonzero(splitting):
        ex = max(int(ex_index[row]), int(first_session[row]) + 20)
        if ex >= length - 1:
            continue
        factor[row, :ex] = ratios[row]
        splits.append({
            "symbol": names[row], "ex_date": str(days[ex]), "action": "split",
            "ratio_from": 1, "ratio_to": int(ratios[row]), "price_factor": round(1.0 / ratios[row], 10),
        })

    raw_open = np.round(open_ * factor, 2)
    raw_close = np.round(close * factor, 2)
    raw_high = np.maximum(np.round(upper * factor, 2), np.maximum(raw_open, raw_close))
    raw_low = np.maximum(np.minimum(np.round(lower * factor, 2), np.minimum(raw_open, raw_close)), 0.01)
    raw_volume = np.round(volume / factor).astype(np.int64)
    value = np.round(raw_volume * (raw_open + raw_high + raw_low + raw_close) / 4, 2)
    trades = np.maximum(1, raw_volume // rng.integers(50, 400, (count, 1)))

    mask = listed.ravel()
    table = pa.table({
        "symbol": pa.array(np.repeat(np.array(names, dtype=object), length)[mask], pa.string()),
        "date": pa.array(np.tile(days, count)[mask], pa.date32()),
        "open": raw_open.ravel()[mask],
        "high": raw_high.ravel()[mask],
        "low": raw_low.ravel()[mask],
        "close": raw_close.ravel()[mask],
        "volume": raw_volume.ravel()[mask],
        "value": value.ravel()[mask],
        "trades": trades.ravel()[mask],
        "series": pa.array(np.full(int(mask.sum()), "EQ", dtype=object), pa.string()),
        "exchange": pa.array(np.full(int(mask.sum()), "SYN", dtype=object), pa.string()),
    })
    return table, splits


def actions_path_for(market_path: Path) -> Path:
    name = market_path.name
    stem = name[: -len(".zip")] if name.endswith(".zip") else name
    stem = stem[: -len(".csv")] if stem.endswith(".csv") else stem
    return market_path.with_name(f"{stem}_corporate_actions.csv")


def generate(symbols: int, years: int, seed: int, out: Path, end: date = DEFAULT_END) -> GeneratedUniverse:
    """Write `out` (an ohlcv-csv, zipped when it ends in .zip) and its corporate-actions CSV."""
    if symbols < 1 or years < 1:
        raise ValueError("--symbols and --years must be at least 1")
    days = sessions(years, end)
    names = symbol_names(symbols)
    price_seed, split_seed = np.random.SeedSequence(seed).spawn(2)
    rng = np.random.default_rng(price_seed)
    # about one symbol in twenty splits once, and at least one does
    splitting = np.zeros(symbols, dtype=bool)
    splitting[np.random.default_rng(split_seed).choice(symbols, max(1, round(symbols * 0.05)), replace=False)] = True
    out.parent.mkdir(parents=True, exist_ok=True)
    rows = 0
    splits: list[dict] = []
    write_options = pa_csv.WriteOptions(include_header=False, quoting_style="none")

    def write_all(write) -> None:
        """Each block is rendered to CSV bytes in memory, then handed to `write` in one piece."""
        nonlocal rows
        write((",".join(MARKET_HEADER) + "\n").encode())
        for start in range(0, symbols, BLOCK_SYMBOLS):
            table, block_splits = _block(
                rng, names[start:start + BLOCK_SYMBOLS], days, splitting[start:start + BLOCK_SYMBOLS],
            )
            splits.extend(block_splits)
            rows += table.num_rows
            buffer = pa.BufferOutputStream()
            pa_csv.write_csv(table, buffer, write_options=write_options)
            write(buffer.getvalue().to_pybytes())

    if out.name.endswith(".zip"):
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            member = out.name[: -len(".zip")]
            member = member if member.endswith(".csv") else f"{member}.csv"
            info = zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            # fastest deflate level: the archive is for moving files around, not for storage; the
            # attribute became public (compress_level) only in Python 3.13
            info._compresslevel = 1
            with archive.open(info, "w", force_zip64=True) as handle:
                write_all(handle.write)
    else:
        with out.open("wb") as handle:
            write_all(handle.write)

    actions_path = actions_path_for(out)
    pd.DataFrame(splits, columns=["symbol", "ex_date", "action", "ratio_from", "ratio_to", "price_factor"]).to_csv(
        actions_path, index=False, lineterminator="\n",
    )
    return GeneratedUniverse(out, actions_path, symbols, len(days), rows, len(splits))


# -- the benchmark universe ------------------------------------------------------------------------

TRADING_DAYS_PER_YEAR = 252
LOADED_AT = pd.Timestamp("2026-01-01 00:00:00")
SYMBOLS_PER_CHUNK = 250
# The columns `strategy-engine load` reads from a session file.
LOADER_COLUMNS = tuple(column for column, _ in source_table("market_data").parsed_columns())


@dataclass(frozen=True)
class Universe:
    """`symbols` x `years` of 252 weekday sessions ending on DEFAULT_END; the "new day" of an
    incremental run is the next business day."""

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
        return pd.bdate_range(end=pd.Timestamp(DEFAULT_END), periods=self.days)

    def next_day(self, number: int = 1) -> pd.Timestamp:
        """The `number`-th business day after the history (1: the first daily run's session)."""
        return pd.bdate_range(start=pd.Timestamp(DEFAULT_END) + pd.Timedelta(days=1), periods=number)[-1]


def random_walk(rng: np.random.Generator, symbols: int, days: int) -> dict[str, np.ndarray]:
    """OHLCV arrays of shape (days, symbols) of the benchmark's walk."""
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


def source_rows(
    symbols: list[str], dates: pd.DatetimeIndex, arrays: dict[str, np.ndarray], source: str,
) -> pd.DataFrame:
    """Rows of the source table market_data from `random_walk`'s arrays."""
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


def universe_chunks(universe: Universe, source: str | None = None) -> Iterator[pd.DataFrame]:
    """The whole history of the universe, SYMBOLS_PER_CHUNK symbols at a time."""
    dates = universe.trade_dates()
    names = universe.symbol_names()
    for chunk_start in range(0, universe.symbols, SYMBOLS_PER_CHUNK):
        chunk = names[chunk_start:chunk_start + SYMBOLS_PER_CHUNK]
        # one seed per chunk: the universe does not depend on how many chunks were written before
        rng = np.random.default_rng([universe.seed, chunk_start])
        yield source_rows(chunk, dates, random_walk(rng, len(chunk), len(dates)),
                          source or f"synthetic_{universe.label}")


def write_universe(con: duckdb.DuckDBPyConnection, universe: Universe) -> int:
    """Write the whole history of the universe; returns the number of rows written."""
    written = 0
    for frame in universe_chunks(universe):
        _insert(con, frame)
        written += len(frame)
    return written


def next_session_frame(con: duckdb.DuckDBPyConnection, universe: Universe, number: int = 1) -> pd.DataFrame:
    """The rows of session `universe.next_day(number)` for every symbol, continuing from the latest
    close in the warehouse (so sessions 1, 2, ... follow each other when loaded in turn)."""
    day = universe.next_day(number)
    last = con.execute(
        f"""
        select symbol, close from {SOURCE_SCHEMA}.market_data
        where trade_date = (select max(trade_date) from {SOURCE_SCHEMA}.market_data where trade_date < ?)
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
    frame = source_rows(last["symbol"].tolist(), pd.DatetimeIndex([day]), arrays, "synthetic_next_day")
    frame["loaded_at"] = LOADED_AT + pd.Timedelta(days=number)
    return frame


def append_next_day(con: duckdb.DuckDBPyConnection, universe: Universe, number: int = 1) -> pd.Timestamp:
    """Append session `number` after the history for every symbol, straight into the source table."""
    _insert(con, next_session_frame(con, universe, number))
    return universe.next_day(number)


def write_session_csv(con: duckdb.DuckDBPyConnection, universe: Universe, number: int, path: Path) -> pd.Timestamp:
    """Session `number` as a CSV file `strategy-engine load` reads (the way a user adds a day)."""
    frame = next_session_frame(con, universe, number)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.loc[:, list(LOADER_COLUMNS)].to_csv(path, index=False, float_format="%.17g")
    return universe.next_day(number)


def _insert(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    con.register("synthetic_rows", frame)
    columns = ", ".join(source_table("market_data").column_names())
    con.execute(f"insert into {SOURCE_SCHEMA}.market_data select {columns} from synthetic_rows")
    con.unregister("synthetic_rows")
