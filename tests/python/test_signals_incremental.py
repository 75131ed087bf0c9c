"""Issue 4: the signal chain's incremental runs equal a full refresh, late data included.

A warehouse with four sample symbols is built in full to day D, then one session at a time to
D+k with incremental runs; the tables then equal a full refresh to D+k. Then a corporate action
arrives late for one symbol and an old day's prices are corrected for another: the next
incremental run recomputes exactly those symbols and again equals a full refresh.

The tables compared: indicators, int_indicator_variants, int_cross_sectional_ranks, path_indicators,
strategy_candidates, positions, signals
(same keys, floats within 1e-9). The chain's run stamps (computed_at, generated_at) must stay
unchanged for rows a run does not recompute.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from cross_sectional_reference import TYPES as CROSS_SECTIONAL_TYPES

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

SYMBOLS = ("EICHERMOT", "ASIANPAINT", "INFY", "TCS")
DAILY_STEPS = 3
RUN_TIMESTAMPS = {"computed_at", "indicators_computed_at", "generated_at"}
TABLES = {
    "indicators": ("strategy_data.indicators", ["symbol", "trade_date"]),
    "int_indicator_variants": ("intermediate.int_indicator_variants", ["symbol", "trade_date"]),
    "int_cross_sectional_ranks": ("intermediate.int_cross_sectional_ranks", ["symbol", "trade_date"]),
    "path_indicators": ("strategy_data.path_indicators", ["symbol", "trade_date"]),
    "strategy_candidates": (
        "strategy_data.strategy_candidates", ["strategy_id", "param_set_id", "symbol", "trade_date"]),
    "positions": ("strategy_data.positions", ["strategy_id", "param_set_id", "symbol", "trade_date"]),
    "signals": ("strategy_data.signals", ["strategy_id", "param_set_id", "symbol", "signal_date"]),
}
# Each stamped table's run timestamp column (indicators: the contract the chain relies on).
# The declared strategies plus two with non-default recursive periods, whose int_indicator_variants
# columns (rsi_21, ema_100, macd_8_21_5, ...) must resume like the indicators mart's.
DECLARED = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())["vars"]["strategies"]
OTHER_PERIODS = [
    {"id": "rsi_21", "type": "rsi_mean_reversion", "enabled": True, "params": {"period": 21}},
    {"id": "macd_8_21_5", "type": "macd_momentum", "enabled": True,
     "params": {"fast": 8, "slow": 21, "signal": 5, "trend_ema": 100}},
]
STRATEGIES = {"strategies": [*DECLARED, *OTHER_PERIODS]}
# The same with bollinger_reversion disabled (used from the late-data run on).
DISABLED_STRATEGY = "bollinger_reversion"
DISABLED = {"strategies": [
    {**strategy, "enabled": strategy["enabled"] and strategy["id"] != DISABLED_STRATEGY}
    for strategy in STRATEGIES["strategies"]
]}
# A cross-sectional set ranks all symbols together: a late change of one symbol changes the others'
# ranks, so all its groups are replayed (delete_cross_sectional_replays); the others' stay local.
CROSS_SECTIONAL = {strategy["id"] for strategy in DECLARED if strategy["type"] in CROSS_SECTIONAL_TYPES}
STAMP = {"indicators": "computed_at", "int_indicator_variants": "computed_at", "strategy_candidates": "computed_at",
         "positions": "computed_at", "signals": "generated_at"}


def _dbt(args: list[str], target: Path) -> None:
    outcome = run_dbt(args, target_path=str(target))
    assert outcome.success, outcome.error or outcome.failures


def build(target: Path, full_refresh: bool = False, command: str = "run", dbt_vars: dict | None = None) -> None:
    options = ["--full-refresh"] if full_refresh else []
    options += ["--vars", json.dumps(dbt_vars or STRATEGIES)]
    if command == "build":
        options += ["--indirect-selection", "cautious"]
    _dbt([command, "--select", "+signals", *options], target)


def read_tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    tables = {}
    with connect(warehouse) as con:
        for name, (relation, keys) in TABLES.items():
            frame = con.execute(f"select * from {relation}").df()
            tables[name] = frame.sort_values(keys).reset_index(drop=True)
    return tables


def assert_tables_equal(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    """Same keys and rows; floats within 1e-9 (relative); run timestamps are not compared."""
    for name, (_, keys) in TABLES.items():
        mine, theirs = actual[name], expected[name]
        assert len(mine) == len(theirs), name
        assert mine[keys].astype(str).equals(theirs[keys].astype(str)), f"{name}: keys differ"
        for column in theirs.columns:
            if column in RUN_TIMESTAMPS:
                continue
            left, right = mine[column], theirs[column]
            if pd.api.types.is_float_dtype(right):
                assert np.allclose(left.to_numpy(float), right.to_numpy(float), rtol=1e-9, atol=1e-12,
                                   equal_nan=True), f"{name}.{column}"
            else:
                same = left.astype(object).where(left.notna(), None).tolist() == right.astype(object).where(
                    right.notna(), None).tolist()
                assert same, f"{name}.{column}"


def stamps(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    out = {}
    for name, column in STAMP.items():
        keys = TABLES[name][1]
        out[name] = tables[name][[*keys, column]].rename(columns={keys[-1]: "day", column: "stamp"})
    return out


@dataclass
class Scenario:
    daily: dict[str, pd.DataFrame]
    daily_refreshed: dict[str, pd.DataFrame]
    daily_stamps: list[tuple[dt.date, dict[str, pd.DataFrame], dict[str, pd.DataFrame]]]
    late: dict[str, pd.DataFrame]
    late_refreshed: dict[str, pd.DataFrame]
    before_late: dict[str, pd.DataFrame]
    late_symbols: dict[str, str]
    vanished_signal: tuple


def _full_refresh_copy(warehouse: Path, name: str, target: Path,
                       dbt_vars: dict | None = None) -> dict[str, pd.DataFrame]:
    copy = warehouse.with_name(f"{name}.duckdb")
    shutil.copyfile(warehouse, copy)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(copy))
        build(target, full_refresh=True, dbt_vars=dbt_vars)
    return read_tables(copy)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    root = tmp_path_factory.mktemp("signals_incremental")
    warehouse, target = root / "warehouse.duckdb", root / "target"
    symbols = ", ".join(f"'{s}'" for s in SYMBOLS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
            con.execute(f"delete from trading_data.market_data where symbol not in ({symbols})")
            sessions = [d for (d,) in con.execute(
                "select distinct trade_date from trading_data.market_data order by trade_date").fetchall()]
            later = con.execute("select * from trading_data.market_data where trade_date > ?",
                                [sessions[-DAILY_STEPS - 1]]).df()
            con.execute("delete from trading_data.market_data where trade_date > ?", [sessions[-DAILY_STEPS - 1]])
        build(target, command="build")

        daily_stamps = []
        for day in sessions[-DAILY_STEPS:]:
            before = stamps(read_tables(warehouse))
            previous_day = pd.Timestamp(before["positions"]["day"].max()).date()
            with connect(warehouse) as con:
                con.register("later_rows", later[pd.to_datetime(later["trade_date"]).dt.date == day])
                con.execute("insert into trading_data.market_data select * from later_rows")
            build(target)
            daily_stamps.append((previous_day, before, stamps(read_tables(warehouse))))
        daily = read_tables(warehouse)
        daily_refreshed = _full_refresh_copy(warehouse, "daily_refreshed", target)

        # Late data: a split of ASIANPAINT two years back, and corrected prices for an old INFY day
        # on which rsi_mean_reversion entered (prices 20% lower: RSI no longer crosses up).
        corrected_symbol, split_symbol = "INFY", "ASIANPAINT"
        signals = daily["signals"]
        entry = signals[(signals["symbol"] == corrected_symbol) & (signals["strategy_id"] == "rsi_mean_reversion")
                        & (signals["signal_type"] == "ENTRY_LONG")].iloc[0]
        corrected_day = pd.Timestamp(entry["signal_date"]).date()
        with connect(warehouse) as con:
            con.execute(
                "insert into trading_data.corporate_actions values (?, date '2020-01-06', 'split', 1, 2, 0.5,"
                " 'late.csv', timestamp '2022-03-01 18:00:00')",
                [split_symbol],
            )
            con.execute(
                "update trading_data.market_data set open = open * 0.8, high = high * 0.8, low = low * 0.8,"
                " close = close * 0.8 where symbol = ? and trade_date = ?",
                [corrected_symbol, corrected_day],
            )
        # ... and the same run disables a strategy: its rows go, as in a full refresh.
        build(target, dbt_vars=DISABLED)
        late = read_tables(warehouse)
        late_refreshed = _full_refresh_copy(warehouse, "late_refreshed", target, DISABLED)
    vanished = (entry["strategy_id"], entry["param_set_id"], corrected_symbol, corrected_day)
    return Scenario(daily, daily_refreshed, daily_stamps, late, late_refreshed, daily,
                    {"split": split_symbol, "corrected": corrected_symbol}, vanished)


def test_daily_incremental_runs_equal_a_full_refresh(scenario):
    assert_tables_equal(scenario.daily, scenario.daily_refreshed)
    assert len(scenario.daily["signals"]) > 100
    variant_columns = set(scenario.daily["int_indicator_variants"].columns)
    assert {"rsi_21", "ema_100", "macd_8_21_5", "macd_signal_8_21_5"} <= variant_columns


def test_daily_runs_write_only_the_new_day(scenario):
    for previous_day, before, after in scenario.daily_stamps:
        for name in STAMP:
            old_before = before[name]
            old_after = after[name][pd.to_datetime(after[name]["day"]).dt.date <= previous_day]
            merged = old_before.merge(old_after, on=[c for c in old_before.columns if c != "stamp"],
                                      suffixes=("_before", "_after"))
            assert len(merged) == len(old_before), name
            assert (merged["stamp_before"] == merged["stamp_after"]).all(), f"{name}: old rows rewritten"
            new_rows = after[name][pd.to_datetime(after[name]["day"]).dt.date > previous_day]
            if name != "signals":
                assert len(new_rows) == len(after[name]) - len(old_before) > 0, name
                assert (new_rows["stamp"] > old_before["stamp"].max()).all(), name


def test_late_corporate_action_and_corrected_price_equal_a_full_refresh(scenario):
    assert_tables_equal(scenario.late, scenario.late_refreshed)
    signals = scenario.late["signals"]
    strategy_id, param_set_id, symbol, day = scenario.vanished_signal
    old = scenario.before_late["signals"]
    key = ["strategy_id", "param_set_id", "symbol", "signal_date"]
    was = old[key].astype(str).apply(tuple, axis=1).isin([tuple(map(str, scenario.vanished_signal))])
    now = signals[key].astype(str).apply(tuple, axis=1).isin([tuple(map(str, scenario.vanished_signal))])
    assert was.any() and not now.any(), "the corrected day's entry should have vanished"


def test_a_disabled_strategy_leaves_the_chain(scenario):
    for name in ["strategy_candidates", "positions", "signals"]:
        assert (scenario.before_late[name]["strategy_id"] == DISABLED_STRATEGY).any(), name
        assert not (scenario.late[name]["strategy_id"] == DISABLED_STRATEGY).any(), name


def test_late_data_rewrites_only_the_affected_symbols(scenario):
    affected = set(scenario.late_symbols.values())
    for name, column in STAMP.items():
        before, after = scenario.before_late[name], scenario.late[name]
        if "strategy_id" in before.columns:
            before = before[before["strategy_id"] != DISABLED_STRATEGY]
            before = before[~before["strategy_id"].isin(CROSS_SECTIONAL)]
            if name == "strategy_candidates":
                replayed = after[after["strategy_id"].isin(CROSS_SECTIONAL)]
                assert len(replayed) and (replayed[column] > before[column].max()).all(), "cross-sectional replay"
            after = after[~after["strategy_id"].isin(CROSS_SECTIONAL)]
        keys = TABLES[name][1]
        merged = before.merge(after, on=keys, suffixes=("_before", "_after"))
        untouched = merged[~merged["symbol"].isin(affected)]
        assert (untouched[f"{column}_before"] == untouched[f"{column}_after"]).all(), name
        touched = after[after["symbol"].isin(affected)]
        assert (touched[column] > before[column].max()).all(), f"{name}: affected symbols not replayed"
    # The late 1:2 split halves the split symbol's adjusted prices before its ex-date.
    before, after = scenario.before_late["indicators"], scenario.late["indicators"]
    day = (before["symbol"] == scenario.late_symbols["split"]) & (before["trade_date"] == pd.Timestamp("2019-12-31"))
    assert after.loc[day, "close"].iloc[0] == pytest.approx(before.loc[day, "close"].iloc[0] / 2)
