"""Signals (issue 4) on the real sample: no look-ahead, and an independent reference implementation.

The reference implementation below is written from the rules in the issue with TA-Lib indicators
and its own loop; it shares no code with the models or strategy_compute.positions.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import talib
from cross_sectional_reference import TYPES as CROSS_SECTIONAL_TYPES
from cross_sectional_reference import candidates as cross_sectional_candidates
from cross_sectional_reference import seed_sectors

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

SIGNAL_KEY = ["strategy_id", "param_set_id", "symbol", "signal_date", "signal_type"]
SIGNAL_COLUMNS = [*SIGNAL_KEY, "signal_id", "exit_reason", "close_price", "strength", "indicator_value",
                  "entry_reference_value", "exit_reference_value", "filter_value"]
LOOK_AHEAD_CUTOFF = dt.date(2020, 6, 30)


# --- the project on the real sample ------------------------------------------------------------


def build(warehouse) -> None:
    outcome = run_dbt(
        ["build", "--select", "+signals", "strategy_param_sets", "--indirect-selection", "cautious"],
        target_path=str(warehouse.parent / "target"),
    )
    assert outcome.success, outcome.error or outcome.failures


def read_signals(warehouse) -> pd.DataFrame:
    with connect(warehouse) as con:
        table = con.execute(f"select {', '.join(SIGNAL_COLUMNS)} from strategy_data.signals").df()
    table["signal_date"] = pd.to_datetime(table["signal_date"]).dt.date
    return table.sort_values(SIGNAL_KEY).reset_index(drop=True)


@pytest.fixture(scope="module")
def built_sample(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("signals") / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
        build(warehouse)
    return warehouse


def test_no_look_ahead(built_sample, tmp_path):
    """Change every price after D and append later days: no signal dated on or before D changes."""
    before = read_signals(built_sample)
    warehouse = tmp_path / "changed.duckdb"
    with connect(built_sample) as source:
        market_data = source.execute("select * from trading_data.market_data").df()
    market_data["trade_date"] = pd.to_datetime(market_data["trade_date"]).dt.date
    later = market_data["trade_date"] > LOOK_AHEAD_CUTOFF
    factor = 1.0 + 0.08 * np.sin(np.arange(later.sum()))
    for column in ["open", "high", "low", "close"]:
        market_data.loc[later, column] = market_data.loc[later, column].to_numpy() * factor
    last_day = market_data["trade_date"].max()
    appended = market_data[market_data["trade_date"] > last_day - dt.timedelta(days=14)].copy()
    appended["trade_date"] = appended["trade_date"] + dt.timedelta(days=28)
    appended["close"] = appended["close"] * 0.7
    appended["low"] = appended[["low", "close"]].min(axis=1)
    changed = pd.concat([market_data, appended], ignore_index=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            con.execute("create schema trading_data")
            con.register("changed_rows", changed)
            con.execute("create table trading_data.market_data as select * from changed_rows")
            con.execute("create table trading_data.corporate_actions as "
                        f"select * from read_parquet('{export_actions(built_sample, tmp_path)}')")
        build(warehouse)
    after = read_signals(warehouse)
    assert (after["signal_date"] > last_day).any(), "the appended days produced no signal"
    assert not after[after["signal_date"] > LOOK_AHEAD_CUTOFF].reset_index(drop=True).equals(
        before[before["signal_date"] > LOOK_AHEAD_CUTOFF].reset_index(drop=True)
    ), "changing later prices changed no later signal: the test would prove nothing"
    pd.testing.assert_frame_equal(
        after[after["signal_date"] <= LOOK_AHEAD_CUTOFF].reset_index(drop=True),
        before[before["signal_date"] <= LOOK_AHEAD_CUTOFF].reset_index(drop=True),
    )


def export_actions(warehouse, directory) -> str:
    path = directory / "corporate_actions.parquet"
    with connect(warehouse) as con:
        con.execute(f"copy trading_data.corporate_actions to '{path}' (format parquet)")
    return str(path)


# --- independent reference: TA-Lib indicators, rules from the issue, own loop -------------------------


def crosses_above(value, reference):
    previous_value, previous_reference = np.roll(value, 1), np.roll(reference, 1)
    hit = (previous_value <= previous_reference) & (value > reference)
    hit[0] = False
    return hit & ~np.isnan(previous_value) & ~np.isnan(previous_reference)


def crosses_below(value, reference):
    return crosses_above(-np.asarray(value), -np.asarray(reference))


def reference_supertrend_direction(high, low, close, period, multiplier):
    """SuperTrend direction written from the definition in path_indicators.yml (TA-Lib ATR)."""
    atr = talib.ATR(high, low, close, period)
    direction = np.full(len(close), np.nan)
    upper = lower = trend = None
    for i in range(len(close)):
        if np.isnan(atr[i]):
            continue
        basic_upper = (high[i] + low[i]) / 2 + multiplier * atr[i]
        basic_lower = (high[i] + low[i]) / 2 - multiplier * atr[i]
        if trend is None:
            upper, lower, trend = basic_upper, basic_lower, -1
        else:
            upper = basic_upper if (basic_upper < upper or close[i - 1] > upper) else upper
            lower = basic_lower if (basic_lower > lower or close[i - 1] < lower) else lower
            if trend == -1 and close[i] > upper:
                trend = 1
            elif trend == 1 and close[i] < lower:
                trend = -1
        direction[i] = trend
    return direction


def reference_stop_candidates(params: dict, high, low, close):
    """Trailing-stop candidate per day: chandelier from TA-Lib MAX/ATR, or TA-Lib SAR; None without a stop."""
    stop = params.get("trailing_stop")
    if not stop:
        return None
    if stop["type"] == "atr_chandelier":
        return talib.MAX(high, stop["period"]) - stop["multiplier"] * talib.ATR(high, low, close, stop["period"])
    if stop["type"] == "psar":
        return talib.SAR(high, low, 0.02, 0.2)
    raise ValueError(stop)


def reference_candidates(strategy_type: str, params: dict, close: np.ndarray, high=None, low=None):
    if strategy_type == "supertrend_trend":
        direction = reference_supertrend_direction(high, low, close, params["period"], params["multiplier"])
        zero = np.zeros_like(close)
        return crosses_above(direction, zero), crosses_below(direction, zero)
    if strategy_type == "sma_crossover":
        fast, slow = talib.SMA(close, params["fast"]), talib.SMA(close, params["slow"])
        return crosses_above(fast, slow), crosses_below(fast, slow)
    if strategy_type == "rsi_mean_reversion":
        rsi = talib.RSI(close, params["period"])
        entry_level = np.full_like(close, params["entry_level"])
        exit_level = np.full_like(close, params["exit_level"])
        return crosses_above(rsi, entry_level), crosses_above(rsi, exit_level)
    if strategy_type == "macd_momentum":
        macd, signal, _ = talib.MACD(close, params["fast"], params["slow"], params["signal"])
        trend = talib.EMA(close, params["trend_ema"])
        with np.errstate(invalid="ignore"):
            above_trend = close > trend
        return crosses_above(macd, signal) & above_trend, crosses_below(macd, signal)
    if strategy_type == "bollinger_reversion":
        _, middle, lower = talib.BBANDS(close, params["period"], params["num_stddev"], params["num_stddev"])
        return crosses_below(close, lower), crosses_above(close, middle)
    raise ValueError(strategy_type)


def reference_signals(dates, entries, exits, max_holding_days, close=None, stops=None):
    """Long-only: enter when flat on an entry; exit on a close below the trailing stop carried from
    the previous day, else on an exit, else after max_holding_days; the stop starts at the entry
    day's candidate and only ratchets up."""
    out, held, flat, stop = [], 0, True, np.nan
    stops = np.full(len(entries), np.nan) if stops is None else stops
    close = np.zeros(len(entries)) if close is None else close
    for i, (day, enter, leave) in enumerate(zip(dates, entries, exits, strict=True)):
        if flat:
            if enter:
                out.append((day, "ENTRY_LONG", None))
                flat, held, stop = False, 0, stops[i]
            continue
        held += 1
        if not np.isnan(stop) and close[i] < stop:
            out.append((day, "EXIT_LONG", "trailing_stop"))
            flat = True
            continue
        if not np.isnan(stops[i]):
            stop = stops[i] if np.isnan(stop) else max(stop, stops[i])
        if leave:
            out.append((day, "EXIT_LONG", "signal"))
            flat = True
        elif max_holding_days and held >= max_holding_days:
            out.append((day, "EXIT_LONG", "max_holding_days"))
            flat = True
    return out


def reference_signal_rows(warehouse) -> list[tuple]:
    """Every signal the reference implementation derives from the warehouse's staged prices."""
    with connect(warehouse) as con:
        prices = con.execute(
            "select symbol, trade_date, high, low, close from intermediate.int_market_data_adjusted "
            "order by symbol, trade_date"
        ).df()
        param_sets = con.execute("select * from strategy_data.strategy_param_sets where enabled").df()
    prices["trade_date"] = pd.to_datetime(prices["trade_date"]).dt.date
    expected = []
    for row in param_sets.itertuples():
        params = json.loads(row.parameters)
        # A cross-sectional type ranks all symbols together (tests/python/cross_sectional_reference.py).
        ranked = (cross_sectional_candidates(row.strategy_type, params, prices, seed_sectors()).groupby("symbol")
                  if row.strategy_type in CROSS_SECTIONAL_TYPES else None)
        for symbol, rows in prices.groupby("symbol", sort=True):
            close = rows["close"].to_numpy(dtype=float)
            high, low = rows["high"].to_numpy(dtype=float), rows["low"].to_numpy(dtype=float)
            if ranked is not None:
                day_candidates = ranked.get_group(symbol)
                entries = day_candidates["is_entry_candidate"].to_numpy()
                exits = day_candidates["is_exit_candidate"].to_numpy()
            else:
                entries, exits = reference_candidates(row.strategy_type, params, close, high, low)
            stops = reference_stop_candidates(params, high, low, close)
            for day, kind, reason in reference_signals(rows["trade_date"], entries, exits,
                                                       params["max_holding_days"], close, stops):
                expected.append((row.strategy_id, row.param_set_id, symbol, day, kind, reason))
    return sorted(expected, key=lambda r: (r[0], r[1], r[2], r[3], r[4]))


def model_signal_rows(warehouse) -> list[tuple]:
    columns = [*SIGNAL_KEY, "exit_reason"]
    actual = read_signals(warehouse)[columns]
    return sorted(actual.astype(object).where(actual.notna(), None).itertuples(index=False, name=None))


def test_reference_implementation_gives_the_same_signals_on_the_sample(built_sample):
    expected = reference_signal_rows(built_sample)
    assert len(expected) > 1000
    assert model_signal_rows(built_sample) == expected


def test_signal_ids_and_strengths(built_sample):
    table = read_signals(built_sample)
    assert table["signal_id"].is_unique
    assert table["strength"].between(0, 1).all()
    assert set(table["strategy_id"]) == {"sma_crossover", "rsi_mean_reversion", "macd_momentum",
                                         "bollinger_reversion", "sma_crossover_sweep", "supertrend_trend",
                                         "sma_crossover_chandelier_stop", "macd_momentum_psar_stop",
                                         "sector_rotation", "cross_sectional_momentum"}
    assert (table["exit_reason"] == "trailing_stop").sum() > 0
    assert table.groupby("strategy_id")["param_set_id"].nunique()["sma_crossover_sweep"] == 4
