"""Issue 13: incremental staging and data quality equal a full refresh, late data included.

Four sample symbols plus rows that break staging's invariants are built to two sessions before the
sample's end with the staging and data-quality models. Then:

1. a daily run adds the next session (rows inserted as they were first loaded: same loaded_at, so
   nothing may rely on load timestamps);
2. a late run brings everything a daily run can meet besides a new day: a corrected old price
   rewritten in place, a late split, a row deleted from the input, a new copy that turns an
   accepted key into a conflict, a bad row fixed in place, and the last session.

After each run every staging and data-quality table equals a --full-refresh of a copy of the
warehouse (same rows; floats within 1e-12 relative; run stamps left out). The stored rows of a symbol the late run has
no reason to touch must stay as they were: a sentinel written into a column nothing compares
survives, which fails if a run rebuilds staging in full.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

SYMBOLS = ("EICHERMOT", "ASIANPAINT", "INFY", "TCS")
SELECT = ["+data_quality_warnings", "+market_data_rejected"]
TABLES = {
    "base_market_data_checked": "staging.base_market_data_checked",
    "stg_market_data": "staging.stg_market_data",
    "int_market_data_adjusted": "intermediate.int_market_data_adjusted",
    "market_data_rejected": "strategy_data.market_data_rejected",
    "int_dq_large_moves": "intermediate.int_dq_large_moves",
    "int_dq_calendar_findings": "intermediate.int_dq_calendar_findings",
    "int_dq_unknown_symbols": "intermediate.int_dq_unknown_symbols",
    "data_quality_warnings": "strategy_data.data_quality_warnings",
}
# symbol, trade_date, open, high, low, close, volume of rows staging rejects (or accepts once)
BAD_ROWS = [
    ("", "2021-06-01", 10, 11, 9, 10, 100),
    ("BADCO", None, 10, 11, 9, 10, 100),
    ("BADCO", "2021-06-02", 10, 11, 9, None, 100),
    ("BADCO", "2021-06-09", 10, 11, 9, 10, 100),
    ("BADCO", "2021-06-09", 10, 11, 9, 10.5, 100),
    ("BADCO", "2021-06-10", 10, 11, 9, 10, 100),
    ("BADCO", "2021-06-10", 10, 11, 9, 10, 100),
    ("BADCO", "2021-06-11", 10, 11, 9, 10, 100),
    ("BADCO", "2099-01-01", 10, 11, 9, 10, 100),
]


@dataclass
class Scenario:
    daily: dict[str, pd.DataFrame]
    daily_refreshed: dict[str, pd.DataFrame]
    late: dict[str, pd.DataFrame]
    late_refreshed: dict[str, pd.DataFrame]
    marked: dict[str, tuple[int, int]]


def _build(database: Path, target: Path, full_refresh: bool = False, with_tests: bool = False) -> None:
    """dbt build of the staging and data-quality models (and their seeds); data tests only if asked."""
    options = ["--full-refresh"] if full_refresh else []
    if not with_tests:
        options += ["--resource-type", "seed", "--resource-type", "model"]
    previous = os.environ.get("SE_DUCKDB_PATH")
    os.environ["SE_DUCKDB_PATH"] = str(database)
    try:
        outcome = run_dbt(["build", "--select", *SELECT, *options], target_path=str(target))
    finally:
        if previous is None:
            os.environ.pop("SE_DUCKDB_PATH", None)
        else:
            os.environ["SE_DUCKDB_PATH"] = previous
    assert outcome.success, (outcome.error, outcome.failures)


# Run stamps say which run wrote a row, so they differ from a full refresh's by design.
RUN_STAMPS = ["computed_at"]


def _read(database: Path) -> dict[str, pd.DataFrame]:
    with connect(database, read_only=True) as con:
        tables = {name: con.execute(f"select * from {relation}").df() for name, relation in TABLES.items()}
    tables = {name: frame.drop(columns=[c for c in RUN_STAMPS if c in frame.columns]) for name, frame in tables.items()}
    return {name: frame.sort_values(list(frame.columns), na_position="first").reset_index(drop=True)
            for name, frame in tables.items()}


def _refreshed(database: Path, name: str, target: Path) -> dict[str, pd.DataFrame]:
    copy = database.with_name(f"{name}.duckdb")
    shutil.copyfile(database, copy)
    _build(copy, target, full_refresh=True)
    return _read(copy)


# Stored columns that no pre_hook compares and no data-quality model reads: a sentinel written there
# survives an incremental run unless the run rewrites the row (a full rebuild always would).
SENTINELS = {"intermediate.int_market_data_adjusted": "open", "staging.base_market_data_checked": "copy_number"}


def _mark(database: Path, symbol: str) -> None:
    with connect(database) as con:
        for relation, column in SENTINELS.items():
            name = relation.split(".")[1]
            con.execute(f"create table saved_{name} as select symbol, trade_date, {column} from {relation} "
                        "where symbol = ?", [symbol])
            con.execute(f"update {relation} set {column} = -1 where symbol = ?", [symbol])


def _unmark(database: Path, symbol: str) -> dict[str, tuple[int, int]]:
    """(rows still marked, rows of the symbol) per table; restores the saved values."""
    counts = {}
    with connect(database) as con:
        for relation, column in SENTINELS.items():
            name = relation.split(".")[1]
            counts[name] = con.execute(f"select count(*) filter (where {column} = -1), count(*) from {relation} "
                                       "where symbol = ?", [symbol]).fetchone()
            con.execute(f"update {relation} set {column} = saved.{column} from saved_{name} as saved "
                        f"where {relation}.symbol = saved.symbol and {relation}.trade_date = saved.trade_date")
            con.execute(f"drop table saved_{name}")
    return counts


def assert_tables_equal(actual: dict[str, pd.DataFrame], expected: dict[str, pd.DataFrame]) -> None:
    for name in TABLES:
        mine, theirs = actual[name], expected[name]
        assert list(mine.columns) == list(theirs.columns), name
        assert len(mine) == len(theirs), f"{name}: {len(mine)} rows, a full refresh has {len(theirs)}"
        for column in theirs.columns:
            left, right = mine[column], theirs[column]
            if pd.api.types.is_float_dtype(right):
                assert np.allclose(left.to_numpy(float), right.to_numpy(float), rtol=1e-12, atol=0,
                                   equal_nan=True), f"{name}.{column}"
            else:
                assert left.astype(object).where(left.notna(), None).tolist() == right.astype(object).where(
                    right.notna(), None).tolist(), f"{name}.{column}"


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    root = tmp_path_factory.mktemp("staging_incremental")
    warehouse, target = root / "warehouse.duckdb", root / "target"
    symbols = ", ".join(f"'{s}'" for s in SYMBOLS)
    with connect(warehouse) as con:
        load_paths(con, [SAMPLE_MARKET_DATA])
        con.execute(f"delete from trading_data.market_data where symbol not in ({symbols})")
        for row in BAD_ROWS:
            con.execute(
                "insert into trading_data.market_data (symbol, trade_date, open, high, low, close, volume, "
                "exchange, source_file, loaded_at) values (?, ?, ?, ?, ?, ?, ?, 'NSE', 'bad.csv', current_timestamp)",
                list(row),
            )
        sessions = [d for (d,) in con.execute(
            "select distinct trade_date from trading_data.market_data where symbol = 'TCS' order by 1").fetchall()]
        con.execute("create table held_back as select * from trading_data.market_data where trade_date > ?",
                    [sessions[-3]])
        con.execute("delete from trading_data.market_data where trade_date > ?", [sessions[-3]])
    _build(warehouse, target)

    # 1. a daily run: the next session, inserted with the loaded_at of its first load
    with connect(warehouse) as con:
        con.execute("insert into trading_data.market_data select * from held_back where trade_date = ?",
                    [sessions[-2]])
    _build(warehouse, target, with_tests=True)
    daily = _read(warehouse)
    daily_refreshed = _refreshed(warehouse, "daily_refreshed", target)

    # 2. late data, with the last session
    _mark(warehouse, "TCS")
    with connect(warehouse) as con:
        con.execute("insert into trading_data.market_data select * from held_back where trade_date = ?",
                    [sessions[-1]])
        # a late 1:2 split of ASIANPAINT two years back
        con.execute("insert into trading_data.corporate_actions values ('ASIANPAINT', date '2020-01-06', 'split',"
                    " 1, 2, 0.5, 'late.csv', timestamp '2022-03-01 18:00:00')")
        # INFY: an old day's prices corrected in place, loaded_at untouched; another day deleted
        con.execute("update trading_data.market_data set open = open * 0.8, high = high * 0.8, low = low * 0.8,"
                    " close = close * 0.8 where symbol = 'INFY' and trade_date = '2021-03-03'")
        con.execute("delete from trading_data.market_data where symbol = 'INFY' and trade_date = '2021-03-04'")
        # EICHERMOT: a second, different copy of an accepted day turns it into a conflict
        con.execute("insert into trading_data.market_data select * replace (close * 1.01 as close, "
                    "high * 1.01 as high) from trading_data.market_data "
                    "where symbol = 'EICHERMOT' and trade_date = '2021-03-03'")
        # BADCO: the missing close is filled in; the conflicting copy is removed
        con.execute("update trading_data.market_data set close = 10 "
                    "where symbol = 'BADCO' and trade_date = '2021-06-02'")
        con.execute("delete from trading_data.market_data "
                    "where symbol = 'BADCO' and trade_date = '2021-06-09' and close = 10.5")
    _build(warehouse, target, with_tests=True)
    marked = _unmark(warehouse, "TCS")
    late = _read(warehouse)
    late_refreshed = _refreshed(warehouse, "late_refreshed", target)
    yield Scenario(daily, daily_refreshed, late, late_refreshed, marked)


def test_daily_run_equals_a_full_refresh(scenario):
    assert_tables_equal(scenario.daily, scenario.daily_refreshed)
    assert len(scenario.daily["stg_market_data"]) > 3000
    assert len(scenario.daily["int_market_data_adjusted"]) == len(scenario.daily["stg_market_data"])


def test_late_data_equals_a_full_refresh(scenario):
    assert_tables_equal(scenario.late, scenario.late_refreshed)
    staged = scenario.late["int_market_data_adjusted"]
    split_day = staged[(staged["symbol"] == "ASIANPAINT") & (staged["trade_date"] == pd.Timestamp("2019-12-31"))]
    assert split_day["adjustment_factor"].tolist() == [0.5]
    rejected = scenario.late["market_data_rejected"]
    conflict = rejected[(rejected["symbol"] == "EICHERMOT")]
    assert conflict["reject_reason"].tolist() == ["duplicate_key_conflicting_values"] * 2
    badco = set(staged.loc[staged["symbol"] == "BADCO", "trade_date"].dt.strftime("%Y-%m-%d"))
    assert badco == {"2021-06-02", "2021-06-09", "2021-06-10", "2021-06-11"}


def test_untouched_symbols_keep_their_stored_rows(scenario):
    for table, (marked, rows) in scenario.marked.items():
        assert marked > 1000 and rows == marked + 1, f"{table}: the late run rewrote rows of an untouched symbol"
