"""Issue 16, cross-sectional strategies: sector_rotation and cross_sectional_momentum.

- On the bundled sample (the session's full build, the project's own `strategies` var), the ranks
  of int_cross_sectional_ranks, the candidates, the signals and the positions of every enabled set
  of the two types equal an independent pandas reference (tests/python/cross_sectional_reference.py)
  computed from the adjusted prices and the symbol_universe seed read as a CSV.
- Fills are the next open: every trade enters at the open of the symbol's session after its entry
  signal, and exits likewise.
- No look-ahead: the sample up to a rebalance day D is built; then every price after D is changed and
  later days are appended, and the same warehouse is rebuilt (an incremental run, in which
  int_cross_sectional_ranks computes only the new days). No rank, candidate or signal dated on or
  before D changes, while later ones do; and the incremental result equals a fresh full build of
  the changed data.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from cross_sectional_reference import TYPES, candidates, momentum_ranks, rebalance_days, sector_ranks, seed_sectors
from test_signals import reference_signals

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import PROJECT_DIR, SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

SECTORS = seed_sectors()
PROJECT_STRATEGIES = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["strategies"]
CROSS_SECTIONAL_STRATEGIES = [strategy for strategy in PROJECT_STRATEGIES if strategy["type"] in TYPES]
# A rebalance day (the first session of June 2020): its signals fill on the next day, after D.
CUTOFF = dt.date(2020, 6, 1)
RUN_STAMPS = ["computed_at", "indicators_computed_at", "generated_at", "loaded_at", "created_at"]


def _frame(con, sql: str, params=None) -> pd.DataFrame:
    frame = con.execute(sql, params or []).df()
    for column in frame.columns:
        if column.endswith("_date") and len(frame):
            frame[column] = pd.to_datetime(frame[column]).dt.date
    return frame


def _prices(con) -> pd.DataFrame:
    return _frame(con, "select symbol, trade_date, open, close from intermediate.int_market_data_adjusted"
                       " order by symbol, trade_date")


def _param_sets(con) -> list[tuple[str, str, str, dict]]:
    rows = con.execute("select strategy_id, param_set_id, strategy_type, parameters"
                       " from strategy_data.strategy_param_sets where enabled and strategy_type in ?"
                       " order by strategy_id, param_set_id", [list(TYPES)]).fetchall()
    return [(strategy_id, param_set_id, kind, json.loads(parameters))
            for strategy_id, param_set_id, kind, parameters in rows]


@pytest.fixture(scope="module")
def sample(sample_build):
    with connect(sample_build.warehouse, read_only=True) as con:
        yield con


def test_the_project_declares_one_enabled_strategy_of_each_type():
    assert sorted(strategy["type"] for strategy in CROSS_SECTIONAL_STRATEGIES if strategy.get("enabled", True)) == \
        sorted(TYPES)


def test_ranks_equal_the_reference(sample):
    prices = _prices(sample)
    model = _frame(sample, "select * from intermediate.int_cross_sectional_ranks order by symbol, trade_date")
    assert len(model) == len(prices)
    first_sessions = rebalance_days(prices["trade_date"])
    assert model["is_month_first_session"].tolist() == model["trade_date"].isin(first_sessions).tolist()
    assert 60 <= len(first_sessions) <= 63  # Jan 2017 .. Feb 2022
    for _, _, kind, params in _param_sets(sample):
        if kind == "sector_rotation":
            lookback = params["lookback"]
            expected = sector_ranks(prices, SECTORS, lookback)
            actual_rank = model[f"sector_rank_{lookback}"].astype("float")
            assert actual_rank.notna().sum() > 50 * 1000
            assert np.array_equal(actual_rank.to_numpy(), expected["sector_rank"].to_numpy(dtype=float), equal_nan=True)
            assert np.allclose(model[f"sector_relative_strength_{lookback}"].astype(float),
                               expected["relative_strength"], rtol=1e-9, atol=1e-12, equal_nan=True)
        else:
            suffix = f"{params['lookback']}_{params['skip']}"
            expected = momentum_ranks(prices, params["lookback"], params["skip"])
            assert np.allclose(model[f"momentum_{suffix}"].astype(float), expected["momentum"],
                               rtol=1e-9, atol=1e-12, equal_nan=True)
            for column, reference_column in [("momentum_rank", "momentum_rank"), ("momentum_ranked_symbols",
                                                                                  "ranked_symbols")]:
                assert np.array_equal(model[f"{column}_{suffix}"].astype(float).to_numpy(),
                                      expected[reference_column].to_numpy(dtype=float), equal_nan=True), column


def test_candidates_signals_and_positions_equal_the_reference(sample):
    prices = _prices(sample)
    param_sets = _param_sets(sample)
    assert sorted(kind for _, _, kind, _ in param_sets) == sorted(TYPES)
    for strategy_id, param_set_id, kind, params in param_sets:
        expected = candidates(kind, params, prices, SECTORS)
        actual = _frame(sample, "select symbol, trade_date, is_entry_candidate, is_exit_candidate"
                                " from strategy_data.strategy_candidates where strategy_id = ? and param_set_id = ?"
                                " order by symbol, trade_date", [strategy_id, param_set_id])
        pd.testing.assert_frame_equal(actual.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False)
        assert expected["is_entry_candidate"].sum() > 50

        signals, states = [], []
        for symbol, rows in expected.groupby("symbol", sort=True):
            entries, exits = rows["is_entry_candidate"].to_numpy(), rows["is_exit_candidate"].to_numpy()
            for day, signal_type, reason in reference_signals(rows["trade_date"], entries, exits,
                                                              params["max_holding_days"]):
                signals.append((symbol, day, signal_type, reason))
            state = False
            for enter, leave in zip(entries, exits, strict=True):
                state = True if enter else False if leave else state
                states.append(state)
        model_signals = sample.execute(
            "select symbol, signal_date, signal_type, exit_reason from strategy_data.signals"
            " where strategy_id = ? and param_set_id = ? order by symbol, signal_date, signal_type",
            [strategy_id, param_set_id]).fetchall()
        assert model_signals == sorted(signals), strategy_id
        in_position = _frame(sample, "select in_position from strategy_data.positions where strategy_id = ?"
                                     " and param_set_id = ? order by symbol, trade_date", [strategy_id, param_set_id])
        assert in_position["in_position"].tolist() == states, strategy_id


def test_held_sets_have_the_declared_size(sample):
    """On each rebalance day the positions hold the members of K sectors, or the top decile."""
    for strategy_id, param_set_id, kind, params in _param_sets(sample):
        held = _frame(sample, """
            select positions.trade_date, count(*) as held, count(distinct ranks.sector) as sectors,
                   max(ranks.momentum_ranked_symbols_252_21) as ranked
            from strategy_data.positions
            inner join intermediate.int_cross_sectional_ranks as ranks using (symbol, trade_date)
            where positions.strategy_id = ? and positions.param_set_id = ? and positions.in_position
              and ranks.is_month_first_session
            group by positions.trade_date order by positions.trade_date""", [strategy_id, param_set_id])
        assert len(held) > 40
        if kind == "sector_rotation":
            assert (held["sectors"] == params["top_sectors"]).all()
        else:
            fraction = params["top_fraction"]
            assert (held["held"] == [max(1, math.floor(fraction * count)) for count in held["ranked"]]).all()


def test_fills_are_the_next_open(sample):
    trades = _frame(sample, "select * from strategy_data.trades where strategy_id in ?",
                    [[strategy["id"] for strategy in CROSS_SECTIONAL_STRATEGIES]])
    assert len(trades) > 50
    prices = _prices(sample)
    prices["next_date"] = prices.groupby("symbol")["trade_date"].shift(-1)
    prices["next_open"] = prices.groupby("symbol")["open"].shift(-1)
    by_day = prices.set_index(["symbol", "trade_date"])
    entries = by_day.loc[list(zip(trades["symbol"], trades["entry_signal_date"], strict=True))]
    assert trades["entry_date"].tolist() == entries["next_date"].tolist()
    assert np.allclose(trades["entry_price"], entries["next_open"], rtol=1e-12)
    assert (trades["entry_date"] > trades["entry_signal_date"]).all()
    closed = trades[trades["exit_date"].notna()]
    exits = by_day.loc[list(zip(closed["symbol"], closed["exit_signal_date"], strict=True))]
    assert closed["exit_date"].tolist() == exits["next_date"].tolist()


# --- no look-ahead ---------------------------------------------------------------------------------

def _build(warehouse: Path) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        outcome = run_dbt(["build", "--select", "+trades", "strategy_param_sets", "--exclude-resource-type", "test"],
                          target_path=str(warehouse.parent / "target"),
                          vars={"strategies": CROSS_SECTIONAL_STRATEGIES})
    assert outcome.success, outcome.error or outcome.failures


def _results(warehouse: Path) -> dict[str, pd.DataFrame]:
    queries = {
        "ranks": "select * from intermediate.int_cross_sectional_ranks order by symbol, trade_date",
        "candidates": "select * from strategy_data.strategy_candidates"
                      " order by strategy_id, param_set_id, symbol, trade_date",
        "signals": "select * from strategy_data.signals order by strategy_id, param_set_id, symbol, signal_date",
        "trades": "select * from strategy_data.trades order by strategy_id, param_set_id, symbol, entry_date",
    }
    with connect(warehouse, read_only=True) as con:
        results = {name: _frame(con, sql) for name, sql in queries.items()}
    return {name: frame.drop(columns=[column for column in RUN_STAMPS if column in frame]).reset_index(drop=True)
            for name, frame in results.items()}


def _changed_market_data(market_data: pd.DataFrame) -> pd.DataFrame:
    """Every price after CUTOFF moved (differently per row), and four weeks of later days appended."""
    changed = market_data.copy()
    later = changed["trade_date"] > CUTOFF
    factor = 1.0 + 0.08 * np.sin(np.arange(later.sum()))
    for column in ["open", "high", "low", "close"]:
        changed.loc[later, column] = changed.loc[later, column].to_numpy() * factor
    last_day = changed["trade_date"].max()
    appended = changed[changed["trade_date"] > last_day - dt.timedelta(days=40)].copy()
    appended["trade_date"] = appended["trade_date"] + dt.timedelta(days=42)
    appended["close"] = appended["close"] * np.where(appended["symbol"] < "M", 0.7, 1.3)
    appended["low"] = appended[["low", "close"]].min(axis=1)
    appended["high"] = appended[["high", "close"]].max(axis=1)
    return pd.concat([changed, appended], ignore_index=True)


def _on_or_before(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    dates = {"ranks": "trade_date", "candidates": "trade_date", "signals": "signal_date", "trades": "entry_signal_date"}
    return {name: frame[frame[dates[name]] <= CUTOFF].reset_index(drop=True) for name, frame in frames.items()
            if name != "trades"}


@pytest.fixture(scope="module")
def look_ahead_builds(tmp_path_factory):
    """(results built up to CUTOFF, results after the changed later days were added incrementally,
    results of a fresh full build of the changed data)."""
    root = tmp_path_factory.mktemp("cross_sectional_look_ahead")
    incremental = root / "incremental" / "warehouse.duckdb"
    incremental.parent.mkdir()
    with connect(incremental) as con:
        load_paths(con, [SAMPLE_MARKET_DATA])
        market_data = _frame(con, "select * from trading_data.market_data")
        changed = _changed_market_data(market_data)
        con.execute("delete from trading_data.market_data where trade_date > ?", [CUTOFF])
    _build(incremental)
    before = _results(incremental)
    with connect(incremental) as con:
        con.register("changed_rows", changed[changed["trade_date"] > CUTOFF])
        con.execute("insert into trading_data.market_data by name select * from changed_rows")
    _build(incremental)
    after = _results(incremental)
    compiled = incremental.parent / "target" / "compiled" / "strategy_engine" / "models" / "intermediate"
    resumed = "new_rows as (" in (compiled / "int_cross_sectional_ranks.sql").read_text()
    fresh = root / "fresh" / "warehouse.duckdb"
    fresh.parent.mkdir()
    with connect(fresh) as con, connect(incremental, read_only=True) as source:
        con.execute("create schema trading_data")
        for table in ["market_data", "corporate_actions"]:
            con.register("rows", _frame(source, f"select * from trading_data.{table}"))
            con.execute(f"create table trading_data.{table} as select * from rows")
            con.unregister("rows")
    _build(fresh)
    return before, after, _results(fresh), resumed


def test_no_look_ahead(look_ahead_builds, sample):
    before, after, _, _ = look_ahead_builds
    ranks = after["ranks"]
    assert ranks[ranks["trade_date"] == CUTOFF]["is_month_first_session"].all(), "CUTOFF must be a rebalance day"
    assert (after["signals"]["signal_date"] == CUTOFF).any(), "no signal on the rebalance day D: nothing proven"
    for name, frame in _on_or_before(after).items():
        pd.testing.assert_frame_equal(frame, _on_or_before(before)[name], obj=name)
    # The changed prices did change later ranks and signals, so the comparison above is not vacuous.
    unchanged = _frame(sample, "select symbol, trade_date, sector_rank_63, momentum_rank_252_21"
                               " from intermediate.int_cross_sectional_ranks order by symbol, trade_date")
    compared = unchanged.merge(ranks, on=["symbol", "trade_date"], suffixes=("_unchanged", ""))
    later = compared[compared["trade_date"] > CUTOFF]
    assert (later["sector_rank_63"] != later["sector_rank_63_unchanged"]).any()
    assert (later["momentum_rank_252_21"] != later["momentum_rank_252_21_unchanged"]).any()
    assert (after["signals"]["signal_date"] > unchanged["trade_date"].max()).any(), "the appended days gave no signal"
    # D's signals fill at the next session, after D, at that session's (changed) open.
    filled = after["trades"][after["trades"]["entry_signal_date"] == CUTOFF]
    assert len(filled) and (filled["entry_date"] > CUTOFF).all()


def test_the_incremental_run_equals_a_full_build(look_ahead_builds):
    _, after, fresh, resumed = look_ahead_builds
    assert resumed, "int_cross_sectional_ranks did not take its resumed path (only the new days)"
    for name in after:
        pd.testing.assert_frame_equal(after[name], fresh[name], obj=name, check_exact=False, rtol=1e-12)
