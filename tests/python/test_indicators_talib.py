"""The indicators mart and the indicator macros against TA-Lib (test-only reference).

The real NIFTY 50 sample is built once per module on a fresh DuckDB; synthetic edge cases
(shorter than the period, flat prices, a 20,000-row series) go through the same mart in a second
warehouse, and periods the mart does not use (n = 2, n = 200) through the macros via
`dbt compile --inline`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

RTOL = 1e-9
ATOL = 1e-9

Bars = dict[str, np.ndarray]

# mart column -> TA-Lib computation on one symbol's adjusted bars
TALIB_COLUMNS: dict[str, Callable[[Bars], np.ndarray]] = {
    "sma_20": lambda b: talib.SMA(b["close"], 20),
    "sma_50": lambda b: talib.SMA(b["close"], 50),
    "sma_200": lambda b: talib.SMA(b["close"], 200),
    "ema_12": lambda b: talib.EMA(b["close"], 12),
    "ema_26": lambda b: talib.EMA(b["close"], 26),
    "ema_50": lambda b: talib.EMA(b["close"], 50),
    "ema_200": lambda b: talib.EMA(b["close"], 200),
    "rsi_14": lambda b: talib.RSI(b["close"], 14),
    "macd": lambda b: talib.MACD(b["close"], 12, 26, 9)[0],
    "macd_signal": lambda b: talib.MACD(b["close"], 12, 26, 9)[1],
    "macd_hist": lambda b: talib.MACD(b["close"], 12, 26, 9)[2],
    "bb_upper": lambda b: talib.BBANDS(b["close"], 20, 2.0, 2.0, 0)[0],
    "bb_middle": lambda b: talib.BBANDS(b["close"], 20, 2.0, 2.0, 0)[1],
    "bb_lower": lambda b: talib.BBANDS(b["close"], 20, 2.0, 2.0, 0)[2],
    "atr_14": lambda b: talib.ATR(b["high"], b["low"], b["close"], 14),
    "natr_14": lambda b: talib.NATR(b["high"], b["low"], b["close"], 14),
    "adx_14": lambda b: talib.ADX(b["high"], b["low"], b["close"], 14),
    "plus_di_14": lambda b: talib.PLUS_DI(b["high"], b["low"], b["close"], 14),
    "minus_di_14": lambda b: talib.MINUS_DI(b["high"], b["low"], b["close"], 14),
    "stoch_k": lambda b: talib.STOCH(b["high"], b["low"], b["close"], 14, 3, 0, 3, 0)[0],
    "stoch_d": lambda b: talib.STOCH(b["high"], b["low"], b["close"], 14, 3, 0, 3, 0)[1],
    "willr_14": lambda b: talib.WILLR(b["high"], b["low"], b["close"], 14),
    "cci_20": lambda b: talib.CCI(b["high"], b["low"], b["close"], 20),
    "roc_10": lambda b: talib.ROC(b["close"], 10),
    "mom_10": lambda b: talib.MOM(b["close"], 10),
    "obv": lambda b: talib.OBV(b["close"], b["volume"]),
    "mfi_14": lambda b: talib.MFI(b["high"], b["low"], b["close"], b["volume"], 14),
    "donchian_high_20": lambda b: talib.MAX(b["high"], 20),
    "donchian_low_20": lambda b: talib.MIN(b["low"], 20),
    "volatility_20": lambda b: talib.STDDEV(log_returns(b["close"]), 20, 1.0) * np.sqrt(252.0),
}

# Columns that cross zero: relative error is meaningless there (TA-Lib itself is only good to
# about 1e-10 relative near zero), so the error is scaled by the price level instead.
PRICE_SCALED = {"macd", "macd_signal", "macd_hist", "mom_10"}


def log_returns(close: np.ndarray) -> np.ndarray:
    out = np.full(close.shape, np.nan)
    out[1:] = np.log(close[1:] / close[:-1])
    return out


def error_scale(column: str, bars: Bars, expected: np.ndarray) -> np.ndarray:
    """What the absolute error is divided by: |expected| (relative), price or volume level."""
    if column in PRICE_SCALED:
        return np.abs(bars["close"])
    if column == "obv":
        # OBV is a running signed sum that crosses zero; its rounding grows with the volume summed
        return np.cumsum(np.abs(bars["volume"]))
    return np.abs(expected)


def compare(column: str, bars: Bars, actual: np.ndarray) -> tuple[int, float]:
    """(count of NULL-position mismatches, worst scaled error) for one symbol and column."""
    expected = TALIB_COLUMNS[column](bars)
    null_mismatch = int(np.sum(np.isnan(actual) != np.isnan(expected)))
    both = ~np.isnan(actual) & ~np.isnan(expected)
    if not both.any():
        return null_mismatch, 0.0
    excess = np.abs(actual[both] - expected[both]) - ATOL
    scaled = excess / np.maximum(error_scale(column, bars, expected)[both], 1e-300)
    return null_mismatch, float(max(scaled.max(), 0.0))


def build(warehouse: Path, market_files: list[Path]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, market_files)
        outcome = run_dbt(
            ["build", "--select", "+indicators", "--indirect-selection", "cautious"],
            target_path=str(warehouse.parent / "target"),
        )
    assert outcome.success, outcome.error or outcome.failures


def read_mart(warehouse: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adjusted bars from stg_market_data and the mart, both ordered by (symbol, trade_date)."""
    with connect(warehouse) as con:
        bars = con.execute(
            "select symbol, trade_date, open, high, low, close, volume from staging.stg_market_data "
            "order by symbol, trade_date"
        ).df()
        mart = con.execute("select * from strategy_data.indicators order by symbol, trade_date").df()
    return bars, mart


def assert_mart_equals_talib(bars: pd.DataFrame, mart: pd.DataFrame) -> None:
    assert len(bars) == len(mart)
    assert (bars["symbol"].to_numpy() == mart["symbol"].to_numpy()).all()
    assert (bars["trade_date"].to_numpy() == mart["trade_date"].to_numpy()).all()
    problems = []
    for symbol, rows in bars.groupby("symbol", sort=False):
        arrays = {name: rows[name].to_numpy(dtype=float) for name in ("open", "high", "low", "close", "volume")}
        out = mart.loc[rows.index]
        for column in TALIB_COLUMNS:
            null_mismatch, worst = compare(column, arrays, out[column].to_numpy(dtype=float))
            if null_mismatch or worst > RTOL:
                problems.append(f"{symbol}.{column}: {null_mismatch} NULL mismatches, scaled error {worst:.3g}")
    assert not problems, "\n".join(problems[:40])


# --- the real sample -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_mart(tmp_path_factory) -> tuple[pd.DataFrame, pd.DataFrame]:
    warehouse = tmp_path_factory.mktemp("indicators_sample") / "warehouse.duckdb"
    build(warehouse, [SAMPLE_MARKET_DATA])
    return read_mart(warehouse)


def test_mart_has_exactly_the_contract_columns(sample_mart):
    _, mart = sample_mart
    assert list(mart.columns) == [
        "symbol", "trade_date", "open", "high", "low", "close", "volume", *TALIB_COLUMNS,
    ]


def test_every_mart_column_equals_talib_on_the_sample(sample_mart):
    bars, mart = sample_mart
    assert bars["symbol"].nunique() == 50
    assert_mart_equals_talib(bars, mart)
