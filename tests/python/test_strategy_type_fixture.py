"""Issue 15: a strategy type is one file, which the project discovers.

A copy of the project gets one more file, tests/fixtures/strategies/ema_crossover.sql, in
macros/strategies/ and nothing else; the dbt var `strategies` declares two strategies of the new
type: EMA 12/26 (columns of the indicators mart) and EMA 20/50 (EMA 20 is not a mart column, so
int_indicator_variants computes it). The build on a few sample symbols must give the signals of an
independent reference (TA-Lib EMAs, the crossing rules, the long-only state machine of
test_signals), strengths equal to the type's definition, and the param_set_id the project's id rule
gives. An undeclared type fails compilation with a message listing the discovered types.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import talib
from test_signals import crosses_above, crosses_below, model_signal_rows, reference_signals

from strategy_engine import dbt_invoke
from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import PROJECT_DIR, SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "strategies" / "ema_crossover.sql"
PROJECT_PARTS = ["dbt_project.yml", "models", "python_models", "macros", "seeds", "profiles", "tests/dbt"]
SYMBOLS = ("INFY", "RELIANCE", "TITAN")
STRATEGIES = [
    {"id": "ema_crossover", "type": "ema_crossover"},
    {"id": "ema_crossover_20_50", "type": "ema_crossover", "params": {"fast": 20, "slow": 50}},
]


@pytest.fixture(scope="module")
def project_with_new_type(tmp_path_factory) -> Path:
    """A copy of the project whose only difference is the fixture's type file."""
    project = tmp_path_factory.mktemp("project")
    for part in PROJECT_PARTS:
        source = PROJECT_DIR / part
        if source.is_dir():
            shutil.copytree(source, project / part)
        else:
            shutil.copy(source, project / part)
    shutil.copy(FIXTURE, project / "macros" / "strategies" / FIXTURE.name)
    return project


def dbt_in(project: Path, args: list[str], target: Path, dbt_vars: dict) -> dbt_invoke.DbtOutcome:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dbt_invoke, "PROJECT_DIR", project)
        patch.setattr(dbt_invoke, "PROFILES_DIR", project / "profiles")
        return run_dbt(args, target_path=str(target), vars=dbt_vars)


@pytest.fixture(scope="module")
def built_with_new_type(project_with_new_type, tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("new_type") / "warehouse.duckdb"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SE_DUCKDB_PATH", str(warehouse))
        with connect(warehouse) as con:
            load_paths(con, [SAMPLE_MARKET_DATA])
            con.execute("delete from trading_data.market_data where symbol not in ?", [list(SYMBOLS)])
        outcome = dbt_in(
            project_with_new_type,
            ["build", "--select", "+signals", "strategy_param_sets", "--indirect-selection", "cautious"],
            warehouse.parent / "target", {"strategies": STRATEGIES},
        )
    assert outcome.success, outcome.error or outcome.failures
    return warehouse


def reference(warehouse: Path) -> tuple[list[tuple], pd.DataFrame]:
    """Signals and entry/exit candidates with strengths, from the staged prices and TA-Lib."""
    with connect(warehouse) as con:
        prices = con.execute(
            "select symbol, trade_date, close from intermediate.int_market_data_adjusted"
            " order by symbol, trade_date").df()
    prices["trade_date"] = pd.to_datetime(prices["trade_date"]).dt.date
    signals, candidates = [], []
    for strategy in STRATEGIES:
        params = {"fast": 12, "slow": 26, "max_holding_days": 0, **strategy.get("params", {})}
        canonical = json.dumps(params, sort_keys=True)  # as Jinja's tojson writes it
        param_set_id = hashlib.md5(f"ema_crossover|{canonical}".encode()).hexdigest()[:16]
        for symbol, rows in prices.groupby("symbol", sort=True):
            close = rows["close"].to_numpy(dtype=float)
            fast, slow = talib.EMA(close, params["fast"]), talib.EMA(close, params["slow"])
            entries, exits = crosses_above(fast, slow), crosses_below(fast, slow)
            strength = np.clip(np.abs(fast - slow) / slow / 0.01, 0.0, 1.0)
            for day, kind, reason in reference_signals(rows["trade_date"], entries, exits, 0, close):
                signals.append((strategy["id"], param_set_id, symbol, day, kind, reason))
            for i in np.flatnonzero(entries | exits):
                candidates.append((strategy["id"], param_set_id, symbol, rows["trade_date"].iloc[i],
                                   bool(entries[i]), bool(exits[i]), strength[i]))
    columns = ["strategy_id", "param_set_id", "symbol", "trade_date", "is_entry_candidate", "is_exit_candidate",
               "strength"]
    keys = ["strategy_id", "param_set_id", "symbol", "trade_date"]
    return sorted(signals, key=lambda r: r[:5]), pd.DataFrame(candidates, columns=columns).sort_values(keys)


def test_a_type_from_one_file_gives_the_reference_signals(built_with_new_type):
    expected_signals, expected_candidates = reference(built_with_new_type)
    assert len(expected_signals) > 50
    assert model_signal_rows(built_with_new_type) == expected_signals
    with connect(built_with_new_type) as con:
        candidates = con.execute(
            "select strategy_id, param_set_id, symbol, trade_date, is_entry_candidate, is_exit_candidate,"
            " case when is_entry_candidate then entry_strength else exit_strength end as strength"
            " from strategy_data.strategy_candidates where is_entry_candidate or is_exit_candidate"
            " order by strategy_id, param_set_id, symbol, trade_date").df()
        labels = dict(con.execute(
            "select distinct strategy_id, indicator_labels from strategy_data.strategy_candidates").fetchall())
    candidates["trade_date"] = pd.to_datetime(candidates["trade_date"]).dt.date
    mine, theirs = candidates.reset_index(drop=True), expected_candidates.reset_index(drop=True)
    key_columns = ["strategy_id", "param_set_id", "symbol", "trade_date", "is_entry_candidate", "is_exit_candidate"]
    assert mine[key_columns].equals(theirs[key_columns])
    assert np.allclose(mine["strength"], theirs["strength"], rtol=1e-9, atol=1e-12)
    assert labels == {"ema_crossover": "ema_12,ema_26,ema_26,", "ema_crossover_20_50": "ema_20,ema_50,ema_50,"}


def test_the_new_type_reads_its_other_periods_from_the_variants_model(built_with_new_type):
    with connect(built_with_new_type) as con:
        mart = {row[0] for row in con.execute("select column_name from information_schema.columns"
                                              " where table_name = 'indicators'").fetchall()}
        variants = {row[0] for row in con.execute("select column_name from information_schema.columns"
                                                  " where table_name = 'int_indicator_variants'").fetchall()}
        declared = {row[0] for row in con.execute("select strategy_type from strategy_data.strategy_param_sets")
                    .fetchall()}
    assert "ema_20" in variants and "ema_20" not in mart
    assert declared == {"ema_crossover"}


def test_an_unknown_type_lists_the_discovered_ones(project_with_new_type, tmp_path):
    outcome = dbt_in(project_with_new_type, ["compile", "--select", "strategy_param_sets"], tmp_path / "target",
                     {"strategies": [{"id": "nope", "type": "no_such_type"}]})
    assert not outcome.success
    message = str(outcome.error)
    assert "unknown strategy type 'no_such_type'" in message
    assert "ema_crossover" in message and "sma_crossover" in message
