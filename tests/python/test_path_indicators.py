"""Path indicators: PSAR against TA-Lib, SuperTrend against a loop written from its definition,
the chandelier level, continuation from stored state, and the dbt Python model on the sample."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import talib
from path_indicator_sets import configured_path_params

from strategy_compute.path import (
    chandelier_long_arrays,
    path_indicators,
    path_indicators_for_symbol,
    psar,
    psar_arrays,
    supertrend,
    supertrend_arrays,
)
from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

RTOL = 1e-9


def random_walk(n: int, seed: int, level: float = 100.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    close = level * np.exp(np.cumsum(rng.normal(0, 0.02, n)))
    high = close * (1 + rng.uniform(0, 0.02, n))
    low = close * (1 - rng.uniform(0, 0.02, n))
    return high, low, close


def assert_same(actual: np.ndarray, expected: np.ndarray) -> None:
    assert actual.shape == expected.shape
    assert np.array_equal(np.isnan(actual), np.isnan(expected)), "NULL positions differ"
    both = ~np.isnan(expected)
    np.testing.assert_allclose(actual[both], expected[both], rtol=RTOL, atol=0)


# --- PSAR against TA-Lib -------------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 5, 50, 20_000])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_psar_equals_talib_on_random_walks(n, seed):
    high, low, _ = random_walk(n, seed)
    sar, _, _ = psar_arrays(high, low, 0.02, 0.2)
    assert_same(sar, talib.SAR(high, low, 0.02, 0.2))


def test_psar_shorter_than_two_rows_is_all_null():
    one = np.array([10.0])
    sar, is_long, state = psar_arrays(one, one)
    assert np.isnan(sar).all() and np.isnan(is_long).all() and state is None
    empty, _, _ = psar_arrays(np.array([]), np.array([]))
    assert empty.shape == (0,)


def test_psar_flat_prices():
    high = np.full(300, 50.0)
    low = np.full(300, 49.0)
    sar, _, _ = psar_arrays(high, low)
    assert_same(sar, talib.SAR(high, low, 0.02, 0.2))
    constant = np.full(300, 7.0)
    sar, _, _ = psar_arrays(constant, constant)
    assert_same(sar, talib.SAR(constant, constant, 0.02, 0.2))


def test_psar_gap_through_the_sar():
    # A steady rise (long trend), then a gap far below the SAR, then a gap far above it.
    base = np.r_[np.linspace(100, 130, 40), np.full(10, 80.0), np.linspace(80, 70, 20), np.full(10, 150.0)]
    high, low = base + 1.0, base - 1.0
    sar, is_long, _ = psar_arrays(high, low)
    assert_same(sar, talib.SAR(high, low, 0.02, 0.2))
    assert is_long[39] == 1 and is_long[40] == 0 and is_long[-1] == 1


def test_psar_starting_short_and_other_parameters():
    high = np.array([10.0, 9.5, 9.0, 9.2, 8.0, 8.5, 9.9, 10.5, 11.0, 10.0])
    low = high - 0.8
    for acceleration, maximum in [(0.02, 0.2), (0.05, 0.1), (0.3, 0.2)]:
        sar, _, _ = psar_arrays(high, low, acceleration, maximum)
        assert_same(sar, talib.SAR(high, low, acceleration, maximum))


def test_psar_trend_flag_matches_side_of_price():
    high, low, _ = random_walk(2_000, 7)
    sar, is_long, _ = psar_arrays(high, low)
    rows = ~np.isnan(sar)
    assert np.all(sar[rows & (is_long == 1)] <= low[rows & (is_long == 1)])
    assert np.all(sar[rows & (is_long == 0)] >= high[rows & (is_long == 0)])


# --- SuperTrend against a loop written from the definition ---------------------------------------


def reference_supertrend(high, low, close, period, multiplier):
    """Plain loop over the documented definition; ATR is TA-Lib's."""
    atr = talib.ATR(high, low, close, period)
    line = [math.nan] * len(close)
    direction = [math.nan] * len(close)
    final_upper = final_lower = None
    trend = None
    for i in range(len(close)):
        if math.isnan(atr[i]):
            continue
        basic_upper = (high[i] + low[i]) / 2 + multiplier * atr[i]
        basic_lower = (high[i] + low[i]) / 2 - multiplier * atr[i]
        if trend is None:
            final_upper, final_lower, trend = basic_upper, basic_lower, -1
        else:
            if basic_upper < final_upper or close[i - 1] > final_upper:
                final_upper = basic_upper
            if basic_lower > final_lower or close[i - 1] < final_lower:
                final_lower = basic_lower
            if trend == -1 and close[i] > final_upper:
                trend = 1
            elif trend == 1 and close[i] < final_lower:
                trend = -1
        line[i] = final_lower if trend == 1 else final_upper
        direction[i] = trend
    return np.array(line), np.array(direction, dtype=float)


@pytest.mark.parametrize(("period", "multiplier"), [(10, 3.0), (7, 2.0), (1, 1.5)])
@pytest.mark.parametrize("seed", [0, 3])
def test_supertrend_equals_reference_loop(period, multiplier, seed):
    high, low, close = random_walk(3_000, seed)
    line, direction, _ = supertrend_arrays(high, low, close, period, multiplier)
    expected_line, expected_direction = reference_supertrend(high, low, close, period, multiplier)
    assert_same(line, expected_line)
    assert np.array_equal(direction, expected_direction, equal_nan=True)
    assert {1.0, -1.0} <= set(direction[~np.isnan(direction)])


def test_supertrend_first_value_on_row_period_with_direction_down():
    high, low, close = random_walk(30, 5)
    frame, _ = supertrend(pd.DataFrame({"high": high, "low": low, "close": close}), 10, 3)
    assert frame["supertrend"].iloc[:10].isna().all()
    assert frame["supertrend_direction"].iloc[10] == -1
    atr10 = talib.ATR(high, low, close, 10)[10]
    assert frame["supertrend"].iloc[10] == pytest.approx((high[10] + low[10]) / 2 + 3 * atr10, rel=1e-12)


# --- chandelier ----------------------------------------------------------------------------------


def test_chandelier_long_is_highest_high_minus_atr_multiple():
    high, low, close = random_walk(1_500, 11)
    level, _ = chandelier_long_arrays(high, low, close, 22, 3.0)
    assert_same(level, talib.MAX(high, 22) - 3.0 * talib.ATR(high, low, close, 22))


# --- continuing from stored state equals a full computation ---------------------------------------


@pytest.mark.parametrize("split", [1, 2, 5, 11, 23, 700])
def test_continuing_from_state_equals_full_run(split):
    high, low, close = random_walk(1_000, 13)
    full_sar, full_long, full_state = psar_arrays(high, low)
    head_sar, head_long, head_state = psar_arrays(high[:split], low[:split])
    if head_state is None:  # fewer than two rows: nothing to continue from yet
        head_sar, head_long, head_state = np.array([]), np.array([]), None
        tail_sar, tail_long, tail_state = psar_arrays(high, low)
    else:
        tail_sar, tail_long, tail_state = psar_arrays(high[split:], low[split:], state=head_state)
    assert np.array_equal(np.r_[head_sar, tail_sar], full_sar, equal_nan=True)
    assert np.array_equal(np.r_[head_long, tail_long], full_long, equal_nan=True)
    assert tail_state == full_state

    full_line, full_dir, full_st = supertrend_arrays(high, low, close)
    head_line, head_dir, st = supertrend_arrays(high[:split], low[:split], close[:split])
    tail_line, tail_dir, st = supertrend_arrays(high[split:], low[split:], close[split:], state=st)
    assert np.array_equal(np.r_[head_line, tail_line], full_line, equal_nan=True)
    assert np.array_equal(np.r_[head_dir, tail_dir], full_dir, equal_nan=True)
    assert st == full_st

    full_level, full_ch = chandelier_long_arrays(high, low, close)
    head_level, ch = chandelier_long_arrays(high[:split], low[:split], close[:split])
    tail_level, ch = chandelier_long_arrays(high[split:], low[split:], close[split:], state=ch)
    assert np.array_equal(np.r_[head_level, tail_level], full_level, equal_nan=True)
    assert ch == full_ch


# --- frame-level functions -----------------------------------------------------------------------


def test_frame_functions_are_pure_and_keep_the_index():
    high, low, close = random_walk(100, 17)
    prices = pd.DataFrame({"high": high, "low": low, "close": close}, index=range(1000, 1100))
    before = prices.copy()
    params = configured_path_params()
    out = path_indicators_for_symbol(prices, params)
    pd.testing.assert_frame_equal(prices, before)
    assert list(out.index) == list(prices.index)
    assert list(out.columns)[:5] == ["psar", "psar_is_long", "supertrend_10_3", "supertrend_direction",
                                     "chandelier_long_22_3"]
    sar_frame, _ = psar(prices)
    pd.testing.assert_series_equal(out["psar_is_long"], sar_frame["psar_is_long"])


def test_extra_parameter_sets_add_columns():
    params = configured_path_params(
        {
            "psar": [{"acceleration": 0.02, "maximum": 0.2}, {"acceleration": 0.03, "maximum": 0.3}],
            "supertrend": [{"period": 10, "multiplier": 3}, {"period": 7, "multiplier": 2.5}],
            "chandelier_long": [{"period": 22, "multiplier": 3}],
        }
    )
    names = [name for name, _ in params.output_columns()]
    assert names[:9] == ["psar", "psar_is_long", "psar_0p03_0p3", "psar_is_long_0p03_0p3", "supertrend_10_3",
                     "supertrend_direction", "supertrend_7_2p5", "supertrend_direction_7_2p5",
                     "chandelier_long_22_3"]
    high, low, close = random_walk(60, 19)
    out = path_indicators_for_symbol(pd.DataFrame({"high": high, "low": low, "close": close}), params)
    assert_same(out["psar_0p03_0p3"].to_numpy(), talib.SAR(high, low, 0.03, 0.3))


def test_many_symbols_are_computed_independently():
    frames = []
    for number in range(3):
        high, low, close = random_walk(40 + number, number)
        dates = pd.bdate_range("2020-01-01", periods=len(close))
        frames.append(pd.DataFrame({"symbol": f"S{number}", "trade_date": dates, "high": high, "low": low,
                                    "close": close}))
    shuffled = pd.concat(frames).sample(frac=1.0, random_state=0)
    out = path_indicators(shuffled, configured_path_params())
    for number, frame in enumerate(frames):
        mine = out[out["symbol"] == f"S{number}"]
        assert_same(mine["psar"].to_numpy(), talib.SAR(frame["high"].to_numpy(), frame["low"].to_numpy(), 0.02, 0.2))


# --- the dbt Python model on the bundled sample ---------------------------------------------------


@pytest.fixture(scope="module")
def built_sample(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("path") / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
        outcome = run_dbt(
            ["build", "--select", "+path_indicators", "--indirect-selection", "cautious"],
            target_path=str(warehouse.parent / "target"),
        )
    assert outcome.success, outcome.error or outcome.failures
    with connect(warehouse) as con:
        prices = con.execute(
            "select symbol, trade_date, high, low, close from intermediate.int_market_data_adjusted "
            "order by symbol, trade_date"
        ).df()
        table = con.execute("select * from strategy_data.path_indicators order by symbol, trade_date").df()
    return prices, table


def test_model_psar_equals_talib_on_the_sample(built_sample):
    prices, table = built_sample
    assert len(table) == len(prices)
    for symbol, rows in prices.groupby("symbol"):
        mine = table[table["symbol"] == symbol]
        expected = talib.SAR(rows["high"].to_numpy(), rows["low"].to_numpy(), 0.02, 0.2)
        assert_same(mine["psar"].to_numpy(dtype=float), expected)


def test_model_table_equals_the_pure_function_on_the_sample(built_sample):
    prices, table = built_sample
    expected = path_indicators(prices, configured_path_params())
    expected["trade_date"] = expected["trade_date"].dt.date
    actual = table.copy()
    actual["trade_date"] = pd.to_datetime(actual["trade_date"]).dt.date
    for column in ["psar", "supertrend_10_3", "chandelier_long_22_3"]:
        assert np.array_equal(actual[column].to_numpy(dtype=float), expected[column].to_numpy(dtype=float),
                              equal_nan=True), column
    for column in ["symbol", "trade_date", "psar_is_long", "supertrend_direction"]:
        assert actual[column].astype(object).where(actual[column].notna(), None).tolist() == expected[
            column
        ].astype(object).where(expected[column].notna(), None).tolist(), column


# --- incremental: a daily run continues from the stored state and equals a full refresh ---------


def test_incremental_run_equals_full_refresh_including_a_late_corporate_action(tmp_path):
    warehouse = tmp_path / "warehouse.duckdb"
    target = str(tmp_path / "target")
    select = ["--select", "+path_indicators", "--indirect-selection", "cautious"]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
            # Yesterday's warehouse: the last five sessions are not loaded yet.
            con.execute("delete from trading_data.market_data where trade_date > date '2022-02-08'")
        first = run_dbt(["build", *select], target_path=target)
        assert first.success, first.error or first.failures
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])  # today's load brings the five sessions
            # ... and a corporate action that arrived late re-adjusts one symbol's whole history.
            symbol = con.execute("select min(symbol) from trading_data.market_data").fetchone()[0]
            con.execute(
                "insert into trading_data.corporate_actions values (?, date '2019-06-03', 'split', 1, 2, 0.5,"
                " 'late.csv', timestamp '2022-02-15 18:00:00')",
                [symbol],
            )
        daily = run_dbt(["build", *select], target_path=target)
        assert daily.success, daily.error or daily.failures
        with connect(warehouse) as con:
            incremental = con.execute("select * from strategy_data.path_indicators order by symbol, trade_date").df()
        full = run_dbt(["build", *select, "--full-refresh"], target_path=target)
        assert full.success, full.error or full.failures
        with connect(warehouse) as con:
            refreshed = con.execute("select * from strategy_data.path_indicators order by symbol, trade_date").df()
    assert incremental["trade_date"].max() == refreshed["trade_date"].max()
    late = refreshed[refreshed["symbol"] == symbol]
    assert late["high"].iloc[0] < incremental.loc[incremental["symbol"] == symbol, "high"].max()
    # Only the restaged symbol was replayed: every other symbol's stored rows keep the first
    # build's stamp (the run stamps themselves differ from a full refresh's by design).
    first_stamp = incremental["computed_at"].min()
    kept = incremental[(incremental["symbol"] != symbol) & (incremental["trade_date"] <= pd.Timestamp("2022-02-08"))]
    assert len(kept) > 1000 and (kept["computed_at"] == first_stamp).all()
    assert (incremental.loc[incremental["symbol"] == symbol, "computed_at"] > first_stamp).all()
    pd.testing.assert_frame_equal(incremental.drop(columns="computed_at"), refreshed.drop(columns="computed_at"),
                                  check_exact=True)


def test_sql_and_python_name_a_supertrend_column_alike(tmp_path, warehouse_path) -> None:
    """Issue 15 (column naming of parameterised indicators in two places): the macro named a
    multiplier of 3.0 '3p0' while the Python model wrote '3' (f"{x:g}"), so a strategy asking for
    supertrend(10, 3.0) referenced a column that does not exist. Both now read one rule, the macro
    path_indicator_columns(): strategies through path_indicator_column(), the Python model through
    the rows of int_path_indicator_columns."""
    import json

    from dbt.cli.main import dbtRunner

    from strategy_engine.paths import PROFILES_DIR, PROJECT_DIR

    sets = [{"period": 10, "multiplier": 3}, {"period": 14, "multiplier": 3.0}, {"period": 7, "multiplier": 2.5}]
    configured = {"psar": [{"acceleration": 0.02, "maximum": 0.2}], "supertrend": sets,
                  "chandelier_long": [{"period": 22, "multiplier": 3}]}
    sql = " union all ".join(
        f"select '{{{{ path_indicator_column('supertrend', {s['period']}, {s['multiplier']}, 'supertrend') }}}}' "
        f"as name, {i} as position" for i, s in enumerate(sets))
    shown = dbtRunner().invoke([
        "show", "--inline", f"select name from ({sql}) order by position", "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROFILES_DIR), "--target-path", str(tmp_path / "target"), "--quiet",
        "--vars", json.dumps({"path_indicator_params": configured}),
    ])
    assert shown.success, shown.exception
    from_sql = [row[0] for row in shown.result.results[0].agate_table.rows]
    from_python = [s.value_column for s in configured_path_params(configured).supertrend]
    assert from_sql == from_python == ["supertrend_10_3", "supertrend_14_3", "supertrend_7_2p5"]
