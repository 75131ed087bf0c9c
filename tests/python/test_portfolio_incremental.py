"""Issue 16: the incremental portfolio marts (portfolio_weights, portfolio_exposures) equal a full
refresh, and a daily run writes only the new day's weights.

A warehouse with twelve sample symbols (four IT, four financial, so that the sector caps act), cut
two sessions before the end of December 2021, is built in full; then the next sessions are added
one at a time with incremental `dbt build` runs (data tests included), across a month, year and
week start, so that the monthly and weekly books re-size their holdings on a new day while they
carry them on others. The marts then equal a full refresh (same keys, every column, floats within
1e-9 relative) and the older rows keep their run stamps. Then an old close of one symbol is
corrected (the books replay from their first day), and then one portfolio's declaration changes
and another is removed (the changed one is rebuilt, the removed one deleted, the third keeps its
rows): after each, the marts again equal a full refresh with the same declarations.
"""

from __future__ import annotations

import copy
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

SYMBOLS = ("TCS", "INFY", "TECHM", "HCLTECH", "BAJFINANCE", "BAJAJFINSV", "SBIN", "ICICIBANK",
           "SUNPHARMA", "CIPLA", "DIVISLAB", "NESTLEIND")
# the daily runs add the last session of 2021 and the first two of 2022
LAST_BUILT_MONTH_END = "2021-12-31"
DAILY_STEPS = 3
TABLES = {
    "portfolio_weights": ("strategy_data.portfolio_weights", ["portfolio_id", "trade_date", "symbol"]),
    "portfolio_exposures": ("strategy_data.portfolio_exposures", ["portfolio_id", "trade_date", "sector"]),
}
DECLARED = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text())["vars"]
CHANGED_PORTFOLIO, REMOVED_PORTFOLIO, KEPT_PORTFOLIO = (
    "multi_strategy_inverse_vol", "reversion_atr_risk", "trend_volatility_target")


def _redeclared() -> dict:
    """The example portfolios with one changed (a tighter sector cap, a shorter lookback) and one removed."""
    portfolios = []
    for portfolio in copy.deepcopy(DECLARED["portfolios"]):
        if portfolio["id"] == REMOVED_PORTFOLIO:
            continue
        if portfolio["id"] == CHANGED_PORTFOLIO:
            portfolio["limits"]["max_sector_weight"] = 0.2
            portfolio["sizing"]["lookback"] = 40
        portfolios.append(portfolio)
    return {"portfolios": portfolios}


def build(target: Path, full_refresh: bool = False, dbt_vars: dict | None = None) -> None:
    """Incremental runs build with every data test of the selected models; a full refresh only runs them."""
    command = ["run", "--full-refresh"] if full_refresh else ["build", "--exclude-resource-type", "unit_test",
                                                              "--indirect-selection", "cautious"]
    outcome = run_dbt([*command, "--select", "+portfolio_exposures", "strategy_param_sets",
                       "--vars", json.dumps(dbt_vars or {})], target_path=str(target))
    assert outcome.success, outcome.error or outcome.failures


def read_tables(warehouse: Path) -> dict[str, pd.DataFrame]:
    with connect(warehouse) as con:
        return {name: con.execute(f"select * from {relation}").df().sort_values(keys).reset_index(drop=True)
                for name, (relation, keys) in TABLES.items()}


def assert_tables_equal(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    """Same keys and rows; floats within 1e-9 (relative); computed_at is not compared."""
    for name, (_, keys) in TABLES.items():
        mine, theirs = actual[name], expected[name]
        assert len(theirs) > 0, name
        assert len(mine) == len(theirs), name
        assert mine[keys].astype(str).equals(theirs[keys].astype(str)), f"{name}: keys differ"
        assert list(mine.columns) == list(theirs.columns), name
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
    copied = warehouse.with_name(f"{name}.duckdb")
    shutil.copyfile(warehouse, copied)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(copied))
        build(target, full_refresh=True, dbt_vars=dbt_vars)
    return read_tables(copied)


@dataclass
class Scenario:
    daily_steps: list[tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]]
    daily_refreshed: dict[str, pd.DataFrame]
    corrected: dict[str, pd.DataFrame]
    corrected_refreshed: dict[str, pd.DataFrame]
    redeclared: dict[str, pd.DataFrame]
    redeclared_refreshed: dict[str, pd.DataFrame]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory) -> Scenario:
    root = tmp_path_factory.mktemp("portfolio_incremental")
    warehouse, target = root / "warehouse.duckdb", root / "target"
    symbols = ", ".join(f"'{s}'" for s in SYMBOLS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
            con.execute(f"delete from trading_data.market_data where symbol not in ({symbols})")
            sessions = [d for (d,) in con.execute(
                "select distinct trade_date from trading_data.market_data where trade_date <= ?"
                " order by trade_date", [LAST_BUILT_MONTH_END]).fetchall()]
            cut = sessions[-2]
            later = con.execute("select * from trading_data.market_data where trade_date > ?", [cut]).df()
            con.execute("delete from trading_data.market_data where trade_date > ?", [cut])
        seeded = run_dbt(["seed"], target_path=str(target))
        assert seeded.success, seeded.error or seeded.failures
        build(target)

        days = sorted(pd.to_datetime(later["trade_date"]).dt.date.unique())[:DAILY_STEPS]
        daily_steps = []
        for day in days:
            before = read_tables(warehouse)
            with connect(warehouse) as con:
                con.register("later_rows", later[pd.to_datetime(later["trade_date"]).dt.date == day])
                con.execute("insert into trading_data.market_data select * from later_rows")
            build(target)
            daily_steps.append((before, read_tables(warehouse)))
        daily_refreshed = _full_refresh_copy(warehouse, "daily_refreshed", target)

        # A corrected close of an old day of INFY, a symbol every book holds at some time.
        with connect(warehouse) as con:
            con.execute("update trading_data.market_data set close = close * 1.05, high = greatest(high, close * 1.05)"
                        " where symbol = 'INFY' and trade_date = (select min(trade_date)"
                        " from trading_data.market_data where symbol = 'INFY' and trade_date >= date '2019-06-03')")
        build(target)
        corrected = read_tables(warehouse)
        corrected_refreshed = _full_refresh_copy(warehouse, "corrected_refreshed", target)

        build(target, dbt_vars=_redeclared())
        redeclared = read_tables(warehouse)
        redeclared_refreshed = _full_refresh_copy(warehouse, "redeclared_refreshed", target, _redeclared())
    return Scenario(daily_steps, daily_refreshed, corrected, corrected_refreshed, redeclared,
                    redeclared_refreshed)


def test_daily_incremental_runs_equal_a_full_refresh(scenario):
    assert_tables_equal(scenario.daily_steps[-1][1], scenario.daily_refreshed)
    weights = scenario.daily_refreshed["portfolio_weights"]
    assert set(weights["portfolio_id"]) == {p["id"] for p in DECLARED["portfolios"]}
    assert weights["clip_reason"].notna().any()


def test_daily_runs_write_only_the_new_day(scenario):
    for before, after in scenario.daily_steps:
        for name, (_, keys) in TABLES.items():
            old, new = before[name], after[name]
            merged = old.merge(new, on=keys, suffixes=("_before", "_after"))
            assert len(merged) == len(old), f"{name}: stored rows deleted"
            assert (merged["computed_at_before"] == merged["computed_at_after"]).all(), f"{name}: rows rewritten"
            written = new[new["computed_at"] > old["computed_at"].max()]
            assert len(written) == len(new) - len(old) > 0, name
            assert (written["trade_date"] > old["trade_date"].max()).all(), name


def test_the_daily_runs_cross_a_rebalance_of_the_weekly_and_monthly_books(scenario):
    """The new days include a re-sizing day of the monthly and the weekly book (2022's first session
    opens a month and a week), and a day on which at least one book carries weights sized earlier."""
    last = scenario.daily_steps[-1][1]["portfolio_weights"]
    new_days = last[last["trade_date"] > scenario.daily_steps[0][0]["portfolio_weights"]["trade_date"].max()]
    for portfolio in ("multi_strategy_inverse_vol", "trend_volatility_target"):
        book = new_days[new_days["portfolio_id"] == portfolio]
        assert (book["sized_on"] == book["trade_date"]).any(), portfolio
    assert (new_days["sized_on"] < new_days["trade_date"]).any()


def test_a_corrected_price_replays_to_a_full_refresh(scenario):
    assert_tables_equal(scenario.corrected, scenario.corrected_refreshed)
    # every book has a member with INFY positions, rewritten from the corrected day: all are rebuilt
    for name in TABLES:
        before = scenario.daily_steps[-1][1][name]
        assert (scenario.corrected[name]["computed_at"] > before["computed_at"].max()).all(), name


def test_a_changed_or_removed_declaration_rebuilds_only_that_portfolio(scenario):
    assert_tables_equal(scenario.redeclared, scenario.redeclared_refreshed)
    before, after = scenario.corrected["portfolio_weights"], scenario.redeclared["portfolio_weights"]
    assert REMOVED_PORTFOLIO not in set(after["portfolio_id"])
    assert REMOVED_PORTFOLIO not in set(scenario.redeclared["portfolio_exposures"]["portfolio_id"])
    kept_before = before[before["portfolio_id"] == KEPT_PORTFOLIO]
    kept_after = after[after["portfolio_id"] == KEPT_PORTFOLIO]
    assert kept_after["computed_at"].tolist() == kept_before["computed_at"].tolist()
    changed = after[after["portfolio_id"] == CHANGED_PORTFOLIO]
    assert (changed["computed_at"] > before["computed_at"].max()).all()
    assert changed["declaration_fingerprint"].nunique() == 1
    old_print = before.loc[before["portfolio_id"] == CHANGED_PORTFOLIO, "declaration_fingerprint"].iloc[0]
    assert changed["declaration_fingerprint"].iloc[0] != old_print
