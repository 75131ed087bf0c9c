"""Strategy instances with non-default recursive periods need no SQL change (issue 4).

RSI 21, MACD 8/21/5 and a 100-day trend EMA are declared in the dbt var `strategies` only; the
model int_indicator_variants then carries rsi_21, ema_21, ema_100, macd_8_21_5, ...
(indicator_variant_periods), which must equal TA-Lib, and the signals must equal the independent
reference implementation. The indicators mart's columns stay the same whatever the strategies.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import talib
import yaml
from test_signals import model_signal_rows, reference_signal_rows

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

SYMBOLS = ("EICHERMOT", "INFY", "RELIANCE", "TITAN")
NON_DEFAULT_STRATEGIES = [
    {"id": "rsi_21", "type": "rsi_mean_reversion", "params": {"period": 21, "entry_level": 35, "exit_level": 65}},
    {"id": "macd_8_21_5", "type": "macd_momentum", "params": {"fast": 8, "slow": 21, "signal": 5, "trend_ema": 100}},
]


@pytest.fixture(scope="module")
def built_with_other_periods(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("periods") / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
            con.execute("delete from trading_data.market_data where symbol not in ?", [list(SYMBOLS)])
        outcome = run_dbt(
            ["build", "--select", "+signals", "strategy_param_sets", "--exclude-resource-type", "test"],
            target_path=str(warehouse.parent / "target"),
            vars={"strategies": NON_DEFAULT_STRATEGIES},
        )
    assert outcome.success, outcome.error or outcome.failures
    return warehouse


def test_variant_columns_for_other_periods_equal_talib(built_with_other_periods):
    with connect(built_with_other_periods) as con:
        mart = con.execute(
            "select indicators.close, variants.* from strategy_data.indicators as indicators"
            " inner join intermediate.int_indicator_variants as variants using (symbol, trade_date)"
            " order by symbol, trade_date").df()
        mart_rows, = con.execute("select count(*) from strategy_data.indicators").fetchone()
    assert len(mart) == mart_rows, "int_indicator_variants has a row per indicators row"
    for symbol, rows in mart.groupby("symbol"):
        close = rows["close"].to_numpy(dtype=float)
        line, signal, histogram = talib.MACD(close, 8, 21, 5)
        expected = {"rsi_21": talib.RSI(close, 21), "ema_21": talib.EMA(close, 21), "ema_100": talib.EMA(close, 100),
                    "macd_8_21_5": line, "macd_signal_8_21_5": signal, "macd_hist_8_21_5": histogram}
        for column, reference in expected.items():
            mine = rows[column].to_numpy(dtype=float)
            assert np.array_equal(np.isnan(mine), np.isnan(reference)), f"{symbol} {column}: NULL positions"
            known = ~np.isnan(reference)
            scale = np.maximum(np.abs(reference[known]), 1.0)
            assert np.max(np.abs(mine[known] - reference[known]) / scale) <= 1e-9, f"{symbol} {column}"


def test_signals_with_other_periods_equal_the_reference(built_with_other_periods):
    expected = reference_signal_rows(built_with_other_periods)
    assert {row[0] for row in expected} == {"rsi_21", "macd_8_21_5"}
    assert model_signal_rows(built_with_other_periods) == expected


def test_indicators_mart_columns_do_not_depend_on_the_strategies(built_with_other_periods):
    """The mart built for the non-default strategies has exactly the columns of its YAML."""
    declared = yaml.safe_load((Path(__file__).resolve().parents[2] / "models/marts/indicators.yml").read_text())
    documented = [column["name"] for column in declared["models"][0]["columns"]]
    with connect(built_with_other_periods) as con:
        built = [row[0] for row in con.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'strategy_data' and table_name = 'indicators' order by ordinal_position").fetchall()]
    assert built == documented


def test_a_period_added_later_is_computed_for_every_stored_day(built_with_other_periods, tmp_path):
    """An incremental run whose strategies need a variant the stored rows lack (RSI 10) computes it
    for the whole history, as a full refresh would, instead of failing or leaving NULLs."""
    added = [*NON_DEFAULT_STRATEGIES, {"id": "rsi_10", "type": "rsi_mean_reversion", "params": {"period": 10}}]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(built_with_other_periods))
        outcome = run_dbt(["run", "--select", "int_indicator_variants"], target_path=str(tmp_path / "target"),
                          vars={"strategies": added})
    assert outcome.success, outcome.error or outcome.failures
    with connect(built_with_other_periods) as con:
        rows = con.execute(
            "select indicators.symbol, indicators.close, variants.rsi_10, variants.rsi_21"
            " from strategy_data.indicators as indicators"
            " inner join intermediate.int_indicator_variants as variants using (symbol, trade_date)"
            " order by symbol, trade_date").df()
    assert set(rows["symbol"]) == set(SYMBOLS)
    for _, group in rows.groupby("symbol"):
        close = group["close"].to_numpy(dtype=float)
        for column, reference in {"rsi_10": talib.RSI(close, 10), "rsi_21": talib.RSI(close, 21)}.items():
            mine = group[column].to_numpy(dtype=float)
            assert np.array_equal(np.isnan(mine), np.isnan(reference)), column
            known = ~np.isnan(reference)
            assert np.max(np.abs(mine[known] - reference[known])) <= 1e-9, column
