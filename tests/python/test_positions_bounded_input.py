"""The positions model's bounded incremental read (python_models/path_dependent/positions.py, _new_rows_bounded)
returns exactly the rows and stored states of the full lookup (_new_rows_with_stored_state), or
None when the stored tables do not show that it can (then the model runs the full lookup)."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import duckdb
import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
STAMPS = [dt.datetime(2026, 1, day, tzinfo=dt.UTC) for day in (1, 2, 3)]


def _model():
    spec = importlib.util.spec_from_file_location(
        "positions_model", PROJECT_DIR / "python_models" / "path_dependent" / "positions.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _warehouse(days: int = 40) -> duckdb.DuckDBPyConnection:
    """Candidates of 3 groups over `days` sessions (stamp 1), positions decided up to the last one."""
    con = duckdb.connect()
    con.execute("set timezone = 'UTC'")
    con.execute(f"""
        create table candidates as
        select 's' as strategy_id, 'p' || g as param_set_id, 'SYM' as symbol,
               date '2025-01-01' + cast(d as integer) as trade_date, 100.0 + d as close_price,
               d % 5 = 0 as is_entry_candidate, d % 7 = 0 as is_exit_candidate, 0 as max_holding_days,
               cast(null as double) as stop_candidate, cast('{STAMPS[0]}' as timestamptz) as computed_at
        from range(3) as groups(g), range({days}) as days(d)
    """)
    con.execute("""
        create table positions as
        select strategy_id, param_set_id, symbol, trade_date, close_price,
               trade_date < date '2025-01-05' as in_position, 1 as days_since_entry_signal,
               trade_date as entry_signal_date,
               cast(null as varchar) as signal_type, cast(null as varchar) as exit_reason,
               cast(null as double) as stop_level, computed_at
        from candidates
    """)
    return con


def _add_day(con, stamp) -> None:
    con.execute(f"""
        insert into candidates
        select strategy_id, param_set_id, symbol, max(trade_date) + 1, 1.0, true, false, 0, null,
               cast('{stamp}' as timestamptz)
        from candidates group by all
    """)


def _compare(con):
    model = _model()
    candidates = con.sql("select * from candidates")
    found = model._new_rows_bounded(con, candidates, "positions")
    if found is None:
        return None
    bounded = con.sql(f"select * from {found}").fetchall()
    full = model._new_rows_with_stored_state(candidates, "positions").fetchall()
    assert sorted(bounded) == sorted(full)
    return bounded


def test_a_new_day_reads_only_the_new_rows_with_the_last_stored_state():
    con = _warehouse()
    _add_day(con, STAMPS[1])
    rows = _compare(con)
    assert rows is not None and len(rows) == 3


def test_replayed_and_long_suspended_groups_are_found():
    con = _warehouse()
    # p0 replayed: its candidates rewritten (newer stamp), its positions deleted (the pre_hook).
    con.execute(f"update candidates set computed_at = cast('{STAMPS[1]}' as timestamptz) where param_set_id = 'p0'")
    con.execute("delete from positions where param_set_id = 'p0'")
    # p1's last 20 stored days were never decided (older than the window): looked up in full.
    con.execute(f"""update candidates set computed_at = cast('{STAMPS[1]}' as timestamptz)
                    where param_set_id = 'p1' and trade_date >= date '2025-01-21'""")
    con.execute("delete from positions where param_set_id = 'p1' and trade_date >= date '2025-01-21'")
    _add_day(con, STAMPS[2])
    rows = _compare(con)
    assert rows is not None and len(rows) == 40 + 1 + 20 + 1 + 1


def test_undecided_rows_older_than_the_stored_stamps_fall_back_to_the_full_lookup():
    con = _warehouse()
    con.execute("delete from positions where param_set_id = 'p2' and trade_date >= date '2025-02-01'")
    _add_day(con, STAMPS[1])
    assert _compare(con) is None


@pytest.mark.parametrize("stored", [True, False])
def test_nothing_new(stored: bool):
    con = _warehouse()
    if not stored:
        con.execute("delete from positions")
    rows = _compare(con)
    assert rows == [] if stored else rows is None
