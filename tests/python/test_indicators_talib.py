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


# (symbol, column) pairs not compared: CCI on MICRO divides 1e-9 moves by a 0.001 mean, so the
# order in which TA-Lib and SQL sum the window (1e-19 apart) already shows at 1e-8 relative.
ILL_CONDITIONED = {("MICRO", "cci_20")}


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
    """Adjusted bars from int_market_data_adjusted and the mart, both ordered by (symbol, trade_date)."""
    with connect(warehouse) as con:
        bars = con.execute(
            "select symbol, trade_date, open, high, low, close, volume from intermediate.int_market_data_adjusted "
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
            if (symbol, column) in ILL_CONDITIONED:
                continue
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


# Kept so incremental runs resume each recursion from the last stored row.
RECURSION_STATE_COLUMNS = [
    "bar_index", "macd_fast_ema", "rsi_average_gain_14", "rsi_average_loss_14",
    "plus_dm_sum_14", "minus_dm_sum_14", "true_range_sum_14", "computed_at",
]


def test_mart_has_exactly_the_contract_columns(sample_mart):
    _, mart = sample_mart
    assert list(mart.columns) == [
        "symbol", "trade_date", "open", "high", "low", "close", "volume", *TALIB_COLUMNS,
        *RECURSION_STATE_COLUMNS,
    ]


def test_every_mart_column_equals_talib_on_the_sample(sample_mart):
    bars, mart = sample_mart
    assert bars["symbol"].nunique() == 50
    assert_mart_equals_talib(bars, mart)


# --- synthetic edge cases ------------------------------------------------------------------------

LONG_ROWS = 20_000


def random_bars(rows: int, seed: int, level: float) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0, 0.02, rows)))
    high = close * (1 + rng.uniform(0, 0.02, rows))
    low = close * (1 - rng.uniform(0, 0.02, rows))
    open_ = np.clip(close * (1 + rng.normal(0, 0.01, rows)), low, high)
    volume = rng.integers(1_000, 1_000_000, rows).astype(float)
    return pd.DataFrame({"open": open_, "high": high, "low": low, "close": close, "volume": volume})


def flat_bars(rows: int, price: float) -> pd.DataFrame:
    # an integer price keeps every window mean exact, as TA-Lib's own CCI needs to return 0
    return pd.DataFrame({"open": price, "high": price, "low": price, "close": price, "volume": 5_000.0},
                        index=range(rows))


def micro_moves(rows: int, seed: int) -> pd.DataFrame:
    """Moves of about 1e-9 on a 0.001 price: RSI/DI/MFI averages far below 1e-8, where older
    TA-Lib releases returned 0 and ta-lib 0.8.2 computes the ratio."""
    rng = np.random.default_rng(seed)
    close = 0.001 + np.cumsum(rng.normal(0, 1e-9, rows))
    high = close + rng.uniform(0, 1e-9, rows)
    low = close - rng.uniform(0, 1e-9, rows)
    return pd.DataFrame({"open": close, "high": high, "low": low, "close": close, "volume": 100.0})


def synthetic_universe() -> dict[str, pd.DataFrame]:
    return {
        "ONE": random_bars(1, 1, 100.0),
        "SHORT5": random_bars(5, 2, 100.0),
        "SHORT30": random_bars(30, 3, 100.0),
        "SHORT150": random_bars(150, 4, 100.0),
        "FLAT": flat_bars(300, 100.0),
        "PENNY": random_bars(500, 5, 0.05),
        "MEGA": random_bars(500, 6, 1e6),
        "MICRO": micro_moves(300, 8),
        "LONG": random_bars(LONG_ROWS, 7, 100.0),
    }


def write_ohlcv_csv(universe: dict[str, pd.DataFrame], path: Path) -> Path:
    frames = []
    for symbol, bars in universe.items():
        frame = bars.reset_index(drop=True).copy()
        frame.insert(0, "date", pd.date_range("1960-01-01", periods=len(frame), freq="D").strftime("%Y-%m-%d"))
        frame.insert(0, "symbol", symbol)
        frames.append(frame)
    pd.concat(frames).to_csv(path, index=False, float_format="%.17g")
    return path


@pytest.fixture(scope="module")
def synthetic_warehouse(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("indicators_synthetic")
    warehouse = directory / "warehouse.duckdb"
    build(warehouse, [write_ohlcv_csv(synthetic_universe(), directory / "synthetic.csv")])
    return warehouse


def test_every_mart_column_equals_talib_on_synthetic_edge_cases(synthetic_warehouse):
    bars, mart = read_mart(synthetic_warehouse)
    assert sorted(bars["symbol"].unique()) == sorted(synthetic_universe())
    assert (bars["symbol"] == "LONG").sum() == LONG_ROWS
    assert_mart_equals_talib(bars, mart)


def test_flat_prices_follow_talib_zero_rules(synthetic_warehouse):
    _, mart = read_mart(synthetic_warehouse)
    flat = mart[mart["symbol"] == "FLAT"].iloc[-1]
    assert flat["rsi_14"] == 0.0 and flat["adx_14"] == 0.0 and flat["cci_20"] == 0.0
    assert flat["bb_upper"] == flat["bb_lower"] == 100.0


def test_series_shorter_than_the_period_is_null(synthetic_warehouse):
    _, mart = read_mart(synthetic_warehouse)
    short = mart[mart["symbol"] == "SHORT30"]
    assert short["sma_50"].isna().all() and short["ema_200"].isna().all() and short["macd"].isna().all()
    assert short["adx_14"].notna().sum() == 30 - 27


# --- the macros with periods the mart does not use -----------------------------------------------


def macro_query(n: int, macd_periods: tuple[int, int, int]) -> str:
    """Every indicator macro at period n, chained the way the mart chains them."""
    fast, slow, signal = macd_periods
    return f"""
    with bars as (select * from {{{{ ref('int_indicator_bars') }}}}),
    smoothed as (
        select
            *,
            {{{{ sma('close', {n}) }}}} as sma_n,
            {{{{ ema('close', {n}) }}}} as ema_n,
            {{{{ rsi_average_gain('close_change', {n}) }}}} as average_gain,
            {{{{ rsi_average_loss('close_change', {n}) }}}} as average_loss,
            {{{{ atr('true_range', {n}) }}}} as atr_n,
            {{{{ directional_sum('plus_dm', {n}) }}}} as plus_dm_sum,
            {{{{ directional_sum('minus_dm', {n}) }}}} as minus_dm_sum,
            {{{{ directional_sum('true_range', {n}) }}}} as true_range_sum,
            {{{{ bollinger('close', 'upper', {n}, 1.5) }}}} as bb_upper_n,
            {{{{ stochastic_fast_k('high', 'low', 'close', {n}) }}}} as fast_k,
            {{{{ willr('high', 'low', 'close', {n}) }}}} as willr_n,
            {{{{ sma('typical_price', {n}) }}}} as typical_price_sma,
            {{{{ roc('close', {n}) }}}} as roc_n,
            {{{{ mom('close', {n}) }}}} as mom_n,
            {{{{ mfi('typical_price', 'typical_price_change', 'volume', {n}) }}}} as mfi_n,
            {{{{ donchian('high', 'high', {n}) }}}} as donchian_high_n,
            {{{{ realized_volatility('log_return', {n}) }}}} as volatility_n,
            {{{{ macd_fast_ema('close', {fast}, {slow}) }}}} - {{{{ ema('close', {slow}) }}}} as macd_line
        from bars
    ),
    combined as (
        select
            *,
            {{{{ rsi('average_gain', 'average_loss') }}}} as rsi_n,
            {{{{ directional_index('plus_dm_sum', 'true_range_sum', {n}) }}}} as plus_di_n,
            {{{{ directional_index('minus_dm_sum', 'true_range_sum', {n}) }}}} as minus_di_n,
            {{{{ cci('typical_price', 'typical_price_sma', {n}) }}}} as cci_n,
            {{{{ sma('fast_k', 3, input_start={n - 1}) }}}} as slow_k
        from smoothed
    ),
    second_order as (
        select
            *,
            {{{{ adx(dx('plus_di_n', 'minus_di_n'), {n}) }}}} as adx_n,
            {{{{ sma('slow_k', 3, input_start={n + 1}) }}}} as slow_d,
            case when bar_index >= {{{{ macd_first_row({slow}, {signal}) }}}} then
                {{{{ macd_signal('macd_line', {slow}, {signal}) }}}} end as macd_signal_n
        from combined
    )
    select * from second_order order by symbol, trade_date
    """


def macro_expectations(n: int, macd_periods: tuple[int, int, int]) -> dict[str, Callable[[Bars], np.ndarray]]:
    h, lo, c, v = "high", "low", "close", "volume"
    fast, slow, signal = macd_periods
    return {
        "sma_n": lambda b: talib.SMA(b[c], n),
        "ema_n": lambda b: talib.EMA(b[c], n),
        "rsi_n": lambda b: talib.RSI(b[c], n),
        "atr_n": lambda b: talib.ATR(b[h], b[lo], b[c], n),
        "plus_di_n": lambda b: talib.PLUS_DI(b[h], b[lo], b[c], n),
        "minus_di_n": lambda b: talib.MINUS_DI(b[h], b[lo], b[c], n),
        "adx_n": lambda b: talib.ADX(b[h], b[lo], b[c], n),
        "bb_upper_n": lambda b: talib.BBANDS(b[c], n, 1.5, 1.5, 0)[0],
        "slow_d": lambda b: stoch_d_from_first_value(b, n),
        "willr_n": lambda b: talib.WILLR(b[h], b[lo], b[c], n),
        "cci_n": lambda b: talib.CCI(b[h], b[lo], b[c], n),
        "roc_n": lambda b: talib.ROC(b[c], n),
        "mom_n": lambda b: talib.MOM(b[c], n),
        "mfi_n": lambda b: talib.MFI(b[h], b[lo], b[c], b[v], n),
        "donchian_high_n": lambda b: talib.MAX(b[h], n),
        "volatility_n": lambda b: talib.STDDEV(log_returns(b[c]), n, 1.0) * np.sqrt(252.0),
        "macd_signal_n": lambda b: talib.MACD(b[c], fast, slow, signal)[1],
    }


def stoch_d_from_first_value(bars: Bars, n: int) -> np.ndarray:
    return talib.STOCH(bars["high"], bars["low"], bars["close"], n, 3, 0, 3, 0)[1]


def compiled_inline(sql: str, warehouse: Path) -> str:
    from dbt.cli.main import dbtRunner

    from strategy_engine.paths import PROFILES_DIR, PROJECT_DIR

    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        result = dbtRunner().invoke([
            "compile", "--inline", sql, "--quiet",
            "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR),
            "--target-path", str(warehouse.parent / "target"),
        ])
    assert result.success, result.exception
    return result.result.results[0].node.compiled_code


@pytest.mark.parametrize(("n", "macd_periods"), [(2, (2, 3, 2)), (200, (100, 200, 200))])
def test_macros_equal_talib_at_extreme_periods(synthetic_warehouse, n, macd_periods):
    sql = compiled_inline(macro_query(n, macd_periods), synthetic_warehouse)
    with connect(synthetic_warehouse) as con:
        out = con.execute(sql).df()
    expectations = macro_expectations(n, macd_periods)
    problems = []
    for symbol, rows in out.groupby("symbol", sort=False):
        bars = {name: rows[name].to_numpy(dtype=float) for name in ("open", "high", "low", "close", "volume")}
        for column, reference in expectations.items():
            if column == "cci_n" and symbol == "MICRO":
                continue  # see ILL_CONDITIONED
            expected = reference(bars)
            actual = rows[column].to_numpy(dtype=float)
            null_mismatch = int(np.sum(np.isnan(actual) != np.isnan(expected)))
            both = ~np.isnan(actual) & ~np.isnan(expected)
            scale = np.abs(bars["close"]) if column in {"macd_signal_n", "mom_n"} else np.abs(expected)
            excess = np.abs(actual[both] - expected[both]) - ATOL
            worst = float(max((excess / np.maximum(scale[both], 1e-300)).max(initial=0.0), 0.0))
            if null_mismatch or worst > RTOL:
                problems.append(f"n={n} {symbol}.{column}: {null_mismatch} NULL mismatches, scaled error {worst:.3g}")
    assert not problems, "\n".join(problems[:40])
