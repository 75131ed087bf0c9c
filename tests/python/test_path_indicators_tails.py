"""The path_indicators model's stored tails (python_models/path_dependent/path_indicators.py, _stored_tails):
numbering only the recent stored rows gives every symbol's last rows exactly as numbering all of
them does, for symbols with short histories, long gaps or no recent rows."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import duckdb
import pandas as pd
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]


def _model():
    spec = importlib.util.spec_from_file_location(
        "path_indicators_model", PROJECT_DIR / "python_models" / "path_dependent" / "path_indicators.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _every_row_numbered(con, tail_rows):
    return con.sql(f"""
        select *
        from (
            select *,
                   count(*) over (partition by symbol) as stored_rows,
                   row_number() over (partition by symbol order by trade_date desc) as rows_from_end
            from stored
        ) as numbered
        where rows_from_end <= {tail_rows}
    """).df()


@pytest.mark.parametrize("tail_rows", [2, 22])
def test_recent_tails_equal_numbering_every_row(tail_rows: int):
    con = duckdb.connect()
    con.execute("""
        create table stored as
        select 'LONG' as symbol, date '2024-01-01' + cast(d as integer) as trade_date, 1.0 * d as close
        from range(400) as days(d)
        union all  -- three rows only
        select 'SHORT', date '2025-01-20' + cast(d as integer), 1.0 * d from range(3) as days(d)
        union all  -- its last rows long before the newest stored day
        select 'STALE', date '2023-01-01' + cast(d as integer), 1.0 * d from range(50) as days(d)
        union all  -- two recent rows after a gap of 200 days
        select 'GAP', date '2024-01-01' + cast(d as integer), 1.0 * d from range(400) as days(d)
        where d < 150 or d >= 398
    """)
    keys = ["symbol", "trade_date"]
    bounded = _model()._stored_tails(con, "stored", tail_rows).sort_values(keys).reset_index(drop=True)
    full = _every_row_numbered(con, tail_rows).sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(bounded, full)
    assert set(bounded["symbol"]) == {"LONG", "SHORT", "STALE", "GAP"}


def test_no_stored_rows():
    con = duckdb.connect()
    con.execute("create table stored (symbol varchar, trade_date date, close double)")
    assert _model()._stored_tails(con, "stored", 22).empty
