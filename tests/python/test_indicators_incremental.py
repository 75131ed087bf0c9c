"""The `indicators` mart is incremental: daily runs resume from stored state and equal a full refresh.

One warehouse with the bundled sample is built to day D, then run day by day to D+k (each run only
adds that day), then hit by a late corporate action and a corrected old price. After every step the
table must equal a full refresh of the same inputs (same keys, values within 1e-9); the computed_at
stamps prove which rows each run rewrote.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

SELECT = ["--select", "+indicators", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"]
LAST_FULL_BUILD_DAY = "2022-02-23"
KEY = ["symbol", "trade_date"]
TOLERANCE = 1e-9
SYMBOLS = ("ASIANPAINT", "EICHERMOT", "INFY", "RELIANCE", "TCS", "TITAN")


def read_indicators(warehouse) -> pd.DataFrame:
    with connect(warehouse) as con:
        return con.execute("select * from strategy_data.indicators order by symbol, trade_date").df()


def assert_equal_to_refresh(incremental: pd.DataFrame, refreshed: pd.DataFrame) -> None:
    assert incremental[KEY].equals(refreshed[KEY])
    for column in refreshed.columns.difference([*KEY, "computed_at"]):
        mine = incremental[column].to_numpy(dtype=float)
        theirs = refreshed[column].to_numpy(dtype=float)
        assert np.array_equal(np.isnan(mine), np.isnan(theirs)), f"{column}: NULL positions differ"
        both = ~np.isnan(theirs)
        scale = np.maximum(np.abs(theirs[both]), 1.0)
        worst = float(np.max(np.abs(mine[both] - theirs[both]) / scale, initial=0.0))
        assert worst <= TOLERANCE, f"{column}: relative difference {worst:.3e}"


# Strategies with non-default periods add recursive columns (rsi_21, macd_8_21_5, ...) whose state
# must resume too.
OTHER_PERIODS = {"strategies": [
    {"id": "rsi_21", "type": "rsi_mean_reversion", "params": {"period": 21}},
    {"id": "macd_8_21_5", "type": "macd_momentum", "params": {"fast": 8, "slow": 21, "signal": 5, "trend_ema": 100}},
]}


def build(target: str, *extra: str) -> None:
    outcome = run_dbt(["build", *SELECT, *extra], target_path=target, vars=OTHER_PERIODS)
    assert outcome.success, outcome.error or outcome.failures


@pytest.fixture(scope="module")
def daily_runs(tmp_path_factory):
    """Full build to D, three daily runs, then a late corporate action and a corrected price."""
    work = tmp_path_factory.mktemp("indicators_incremental")
    warehouse, target = work / "warehouse.duckdb", str(work / "target")
    stages = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
            con.execute("delete from trading_data.market_data where symbol not in ?", [list(SYMBOLS)])
            later = con.execute(
                "select * from trading_data.market_data where trade_date > ? order by trade_date",
                [LAST_FULL_BUILD_DAY],
            ).df()
            con.execute("delete from trading_data.market_data where trade_date > ?", [LAST_FULL_BUILD_DAY])
        build(target)
        stages["full"] = read_indicators(warehouse)
        for day in sorted(later["trade_date"].unique())[:3]:
            with connect(warehouse) as con:
                con.register("later_rows", later[later["trade_date"] == day])
                con.execute("insert into trading_data.market_data select * from later_rows")
            build(target)
        stages["daily"] = read_indicators(warehouse)
        with connect(warehouse) as con:
            # A 1:2 split on 2019-06-03 reported only now re-adjusts ASIANPAINT's history, and
            # a corrected close for an old day of INFY (still inside the high/low range).
            con.execute(
                "insert into trading_data.corporate_actions values ('ASIANPAINT', date '2019-06-03', 'split',"
                " 1, 2, 0.5, 'late.csv', current_timestamp)"
            )
            con.execute(
                "update trading_data.market_data set close = (high + low) / 2"
                " where symbol = 'INFY' and trade_date = date '2018-03-01'"
            )
        build(target)
        stages["late"] = read_indicators(warehouse)
        build(target, "--full-refresh")
        stages["refreshed"] = read_indicators(warehouse)
    return stages


def test_daily_runs_add_only_the_new_days(daily_runs):
    full, daily = daily_runs["full"], daily_runs["daily"]
    old = daily[daily["trade_date"] <= pd.Timestamp(LAST_FULL_BUILD_DAY)]
    assert len(daily) == len(full) + 3 * full["symbol"].nunique()
    # Rows up to D were not rewritten by the daily runs: same stamp as the full build.
    assert (old["computed_at"] == full["computed_at"].iloc[0]).all()
    assert daily["computed_at"].nunique() == 4


def test_daily_runs_equal_a_full_refresh_of_the_same_days(daily_runs):
    late = daily_runs["late"]
    daily = daily_runs["daily"]
    refreshed = daily_runs["refreshed"]
    untouched = ~refreshed["symbol"].isin(["ASIANPAINT", "INFY"])
    # Symbols without late data still hold exactly what the daily runs computed.
    assert_equal_to_refresh(
        daily[~daily["symbol"].isin(["ASIANPAINT", "INFY"])].reset_index(drop=True),
        refreshed[untouched].reset_index(drop=True),
    )
    assert_equal_to_refresh(late, refreshed)
    assert {"rsi_21", "ema_100", "macd_8_21_5", "macd_signal_8_21_5"} <= set(refreshed.columns)


def test_late_corporate_action_and_corrected_price_recompute_only_their_symbols(daily_runs):
    daily, late = daily_runs["daily"], daily_runs["late"]
    last_stamp = late["computed_at"].max()
    rewritten = set(late.loc[late["computed_at"] == last_stamp, "symbol"])
    assert rewritten == {"ASIANPAINT", "INFY"}
    assert len(late) == len(daily)
    # The late split halves ASIANPAINT's adjusted prices before its ex-date.
    before = (daily["symbol"] == "ASIANPAINT") & (daily["trade_date"] == pd.Timestamp("2019-05-31"))
    assert late.loc[before, "close"].iloc[0] == pytest.approx(daily.loc[before, "close"].iloc[0] / 2)
