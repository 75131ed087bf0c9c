"""Issue 13: the incremental backtest (trades, equity_curve, performance_years) and the marts
read from it (performance, walk_forward) equal a full refresh, late data included.

A warehouse with four sample symbols, cut after the first session of its last year, is built in
full to day D, then one session at a time to D+k with incremental runs, across a year end; the
tables then equal a full refresh to D+k (same keys, integers exact, floats within 1e-9 relative:
the equities and the performance windows continue from the stored state). Then a corporate action
arrives late for one symbol, an old day's prices are corrected for another and a strategy is
disabled: the next incremental run recomputes exactly the groups of those symbols and every
portfolio, and again equals a full refresh. The run stamps (computed_at) prove what was rewritten.
"""

from __future__ import annotations

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
PORTFOLIO = "__PORTFOLIO__"
TABLES = {
    "trades": ("strategy_data.trades", ["strategy_id", "param_set_id", "symbol", "entry_date"]),
    "equity_curve": ("strategy_data.equity_curve", ["strategy_id", "param_set_id", "symbol", "trade_date"]),
    "performance_years": ("strategy_data.performance_years",
                              ["strategy_id", "param_set_id", "symbol", "calendar_year"]),
    "performance": ("strategy_data.performance", ["strategy_id", "param_set_id", "symbol", "window"]),
    "walk_forward": ("strategy_data.walk_forward", ["strategy_id", "symbol", "oos_window"]),
}
STAMPED = ("trades", "equity_curve", "performance_years")  # the incremental ones, with computed_at
STRATEGIES = {"strategies": yaml.safe_load(
    (Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())["vars"]["strategies"]}
DISABLED_STRATEGY = "bollinger_reversion"
# A cross-sectional set ranks all symbols together: a late change of one symbol changes the others'
# ranks and so all its groups (delete_cross_sectional_replays); the locality check skips them.
CROSS_SECTIONAL = {strategy["id"] for strategy in STRATEGIES["strategies"] if strategy["type"] in CROSS_SECTIONAL_TYPES}
DISABLED = {"strategies": [
    {**strategy, "enabled": strategy["enabled"] and strategy["id"] != DISABLED_STRATEGY}
    for strategy in STRATEGIES["strategies"]
]}


def build(target: Path, full_refresh: bool = False, dbt_vars: dict | None = None) -> None:
    options = ["--full-refresh"] if full_refresh else []
    outcome = run_dbt(["run", "--select", "+performance", "+walk_forward", *options,
                       "--vars", json.dumps(dbt_vars or STRATEGIES)], target_path=str(target))
    assert outcome.success, outcome.error or outcome.failures


def read_tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    with connect(warehouse) as con:
        return {name: con.execute(f"select * from {relation}").df().sort_values(keys).reset_index(drop=True)
                for name, (relation, keys) in TABLES.items()}


def assert_tables_equal(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    """Same keys and rows; floats within 1e-9 (relative); computed_at is not compared."""
    for name, (_, keys) in TABLES.items():
        mine, theirs = actual[name], expected[name]
        assert len(mine) == len(theirs), name
        assert mine[keys].astype(str).equals(theirs[keys].astype(str)), f"{name}: keys differ"
        for column in theirs.columns:
            if column == "computed_at":
                continue
            left, right = mine[column], theirs[column]
            if pd.api.types.is_float_dtype(right):
                assert np.allclose(left.to_numpy(float), right.to_numpy(float), rtol=1e-9, atol=1e-12,
                                   equal_nan=True), f"{name}.{column}"
            else:
                same = left.astype(object).where(left.notna(), None).tolist() == right.astype(object).where(
                    right.notna(), None).tolist()
                assert same, f"{name}.{column}"


def _full_refresh_copy(warehouse: Path, name: str, target: Path,
                       dbt_vars: dict | None = None) -> dict[str, pd.DataFrame]:
    copy = warehouse.with_name(f"{name}.duckdb")
    shutil.copyfile(warehouse, copy)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(copy))
        build(target, full_refresh=True, dbt_vars=dbt_vars)
    return read_tables(copy)


@dataclass
class Scenario:
    daily_steps: list[tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]]
    daily_refreshed: dict[str, pd.DataFrame]
    late: dict[str, pd.DataFrame]
    late_refreshed: dict[str, pd.DataFrame]
    late_symbols: set[str]
    corrected: tuple[str, object]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    root = tmp_path_factory.mktemp("backtest_incremental")
    warehouse, target = root / "warehouse.duckdb", root / "target"
    symbols = ", ".join(f"'{s}'" for s in SYMBOLS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
            con.execute(f"delete from trading_data.market_data where symbol not in ({symbols})")
            sessions = [d for (d,) in con.execute(
                "select distinct trade_date from trading_data.market_data order by trade_date").fetchall()]
            # end on the first session of the last year, so that the daily runs cross a year end
            last = next(d for d in sessions if d.year == sessions[-1].year)
            con.execute("delete from trading_data.market_data where trade_date > ?", [last])
            sessions = sessions[:sessions.index(last) + 1]
            later = con.execute("select * from trading_data.market_data where trade_date > ?",
                                [sessions[-DAILY_STEPS - 1]]).df()
            con.execute("delete from trading_data.market_data where trade_date > ?", [sessions[-DAILY_STEPS - 1]])
        seeded = run_dbt(["seed"], target_path=str(target))
        assert seeded.success, seeded.error or seeded.failures
        build(target)

        daily_steps = []
        for day in sessions[-DAILY_STEPS:]:
            before = read_tables(warehouse)
            with connect(warehouse) as con:
                con.register("later_rows", later[pd.to_datetime(later["trade_date"]).dt.date == day])
                con.execute("insert into trading_data.market_data select * from later_rows")
            build(target)
            daily_steps.append((before, read_tables(warehouse)))
        daily = daily_steps[-1][1]
        daily_refreshed = _full_refresh_copy(warehouse, "daily_refreshed", target)

        # Late data: a split of ASIANPAINT two years back, and 20% lower prices for an old INFY day
        # inside one of its trades; the same run disables a strategy.
        corrected_symbol, split_symbol = "INFY", "ASIANPAINT"
        trades = daily["trades"]
        inside = trades[(trades["symbol"] == corrected_symbol) & ~trades["is_open"] & (trades["holding_days"] > 2)]
        corrected_day = (pd.Timestamp(inside.iloc[0]["entry_date"]) + pd.Timedelta(days=1)).date()
        with connect(warehouse) as con:
            corrected_day = con.execute(
                "select min(trade_date) from trading_data.market_data where symbol = ? and trade_date >= ?",
                [corrected_symbol, corrected_day]).fetchone()[0]
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
        build(target, dbt_vars=DISABLED)
        late = read_tables(warehouse)
        late_refreshed = _full_refresh_copy(warehouse, "late_refreshed", target, DISABLED)
    return Scenario(daily_steps, daily_refreshed, late, late_refreshed, {corrected_symbol, split_symbol},
                    (corrected_symbol, corrected_day))


def _merged(before: pd.DataFrame, after: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return before.merge(after, on=keys, suffixes=("_before", "_after"))


def test_daily_incremental_runs_equal_a_full_refresh(scenario):
    assert_tables_equal(scenario.daily_steps[-1][1], scenario.daily_refreshed)
    assert scenario.daily_refreshed["trades"]["is_open"].any()
    assert (scenario.daily_refreshed["equity_curve"]["symbol"] == PORTFOLIO).any()
    years = scenario.daily_refreshed["performance_years"]
    assert years["year_max_underwater_days"].gt(0).any() and years["full_max_underwater_days"].gt(0).any()


def test_daily_runs_cross_a_year_end(scenario):
    (first_before, _), (_, last_after) = scenario.daily_steps[0], scenario.daily_steps[-1]
    old_years = first_before["performance_years"]["calendar_year"].max()
    assert last_after["performance_years"]["calendar_year"].max() == old_years + 1


def test_daily_runs_write_only_the_new_day(scenario):
    keys = TABLES["equity_curve"][1]
    for before, after in scenario.daily_steps:
        old, new = before["equity_curve"], after["equity_curve"]
        merged = _merged(old, new, keys)
        assert len(merged) == len(old)
        assert (merged["computed_at_before"] == merged["computed_at_after"]).all(), "old equity rows rewritten"
        written = new[new["computed_at"] > old["computed_at"].max()]
        assert len(written) == len(new) - len(old) > 0
        assert (written["trade_date"] > old["trade_date"].max()).all()
        # Closed trades keep their rows; open ones are marked to the new close.
        trades = _merged(before["trades"], after["trades"], TABLES["trades"][1])
        closed = trades[~trades["is_open_before"]]
        assert len(closed) > 0 and (closed["computed_at_before"] == closed["computed_at_after"]).all()
        reopened = trades[trades["is_open_before"]]
        assert len(reopened) > 0 and (reopened["computed_at_after"] > reopened["computed_at_before"]).all()
        assert (reopened["marked_date_after"] > reopened["marked_date_before"]).all()
        # Years: only each group's last year row is rewritten (or a new year row opened).
        years = _merged(before["performance_years"], after["performance_years"],
                        TABLES["performance_years"][1])
        assert len(years) == len(before["performance_years"])
        last_year = years.groupby(["strategy_id", "param_set_id", "symbol"])["calendar_year"].transform("max")
        older = years[years["calendar_year"] < last_year]
        assert len(older) > 0 and (older["computed_at_before"] == older["computed_at_after"]).all()
        # what was written is the groups' last stored year rows or new year rows
        year_keys = TABLES["performance_years"][1]
        stamp = before["performance_years"]["computed_at"].max()
        written = after["performance_years"][after["performance_years"]["computed_at"] > stamp]
        rewritten = written.merge(older[year_keys], on=year_keys)
        assert len(written) > 0 and len(rewritten) == 0


def test_late_corporate_action_and_corrected_price_equal_a_full_refresh(scenario):
    assert_tables_equal(scenario.late, scenario.late_refreshed)


def test_a_disabled_strategy_leaves_the_backtest(scenario):
    for name in TABLES:
        assert (scenario.daily_steps[-1][1][name]["strategy_id"] == DISABLED_STRATEGY).any(), name
        assert not (scenario.late[name]["strategy_id"] == DISABLED_STRATEGY).any(), name


def test_late_data_rewrites_only_the_affected_groups_and_the_portfolios(scenario):
    before, after = scenario.daily_steps[-1][1], scenario.late
    for name in STAMPED:
        keys = TABLES[name][1]
        merged = _merged(before[name], after[name], keys)
        untouched = merged[~merged["symbol"].isin(scenario.late_symbols | {PORTFOLIO})
                           & ~merged["strategy_id"].isin(CROSS_SECTIONAL)]
        if name == "trades":  # an open trade is re-marked by every run
            untouched = untouched[~untouched["is_open_before"]]
        assert len(untouched) > 0
        assert (untouched["computed_at_before"] == untouched["computed_at_after"]).all(), name
        touched = after[name][after[name]["symbol"].isin(scenario.late_symbols)]
        assert len(touched) > 0
        assert (touched["computed_at"] > before[name]["computed_at"].max()).all(), f"{name}: not replayed"
    portfolios = after["equity_curve"][after["equity_curve"]["symbol"] == PORTFOLIO]
    assert (portfolios["computed_at"] > before["equity_curve"]["computed_at"].max()).all()
    # Every group of the corrected symbol has the corrected benchmark, those without a trade too.
    keys = TABLES["equity_curve"][1]
    day = _merged(before["equity_curve"], after["equity_curve"], keys)
    symbol, corrected_day = scenario.corrected
    day = day[(day["symbol"] == symbol) & (pd.to_datetime(day["trade_date"]).dt.date == corrected_day)]
    assert len(day) == after["equity_curve"][["strategy_id", "param_set_id"]].drop_duplicates().shape[0]
    assert (day["benchmark_return_after"] < day["benchmark_return_before"] - 0.1).all()
