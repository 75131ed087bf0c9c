"""A deterministic synthetic universe for scale tests (`strategy-engine generate`).

Each symbol follows a geometric random walk whose daily volatility switches between a calm and a
stressed regime (a two-state Markov chain), opens with an overnight gap (occasionally a large one),
and has high/low wicks around its open and close. Some symbols list part-way through the period,
and a few split: their prices before the ex-date are written unadjusted (higher) and the split is
written as a corporate action, exactly as a real exchange file and action list would present them.

Everything is drawn from one numpy generator seeded with `seed`, in fixed-size blocks of symbols,
so the same (symbols, years, seed, end) always writes byte-identical files.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv

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
