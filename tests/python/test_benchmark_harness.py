"""The benchmark harness's own logic: deterministic universes, the reference's round trips, the report."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_reference  # noqa: E402
import bench_report  # noqa: E402
from bench_synthetic import Universe, append_next_day, write_universe  # noqa: E402

from strategy_engine.warehouse import ensure_source_tables  # noqa: E402


def _universe_rows(universe: Universe) -> list[tuple]:
    con = duckdb.connect()
    ensure_source_tables(con)
    write_universe(con, universe)
    append_next_day(con, universe)
    return con.execute("select * from trading_data.market_data order by symbol, trade_date").fetchall()


def test_synthetic_universe_is_deterministic_and_passes_staging_invariants() -> None:
    universe = Universe(symbols=3, years=1)
    rows = _universe_rows(universe)
    assert rows == _universe_rows(universe)
    assert len(rows) == universe.rows + universe.symbols
    for _, trade_date, open_, high, low, close, volume, *_ in rows:
        assert 0 < low <= min(open_, close) <= max(open_, close) <= high
        assert volume > 0
        assert trade_date <= universe.next_day().date()


def test_round_trips_alternate_and_respect_max_holding_days() -> None:
    entry = np.zeros(60, dtype=bool)
    exit_ = np.zeros(60, dtype=bool)
    entry[[2, 5, 40]] = True
    exit_[[1, 30, 45]] = True
    assert bench_reference.round_trips(entry, exit_, 0) == [(2, 30, "signal"), (40, 45, "signal")]
    assert bench_reference.round_trips(entry, exit_, 10) == [(2, 12, "max_holding_days"), (40, 45, "signal")]
    entry_only = np.zeros(5, dtype=bool)
    entry_only[1] = True
    assert bench_reference.round_trips(entry_only, np.zeros(5, dtype=bool), 0) == [(1, -1, "")]


def test_talib_pandas_reference_runs_and_writes_tables() -> None:
    pytest.importorskip("talib")
    con = duckdb.connect()
    ensure_source_tables(con)
    write_universe(con, Universe(symbols=2, years=2))
    timing = bench_reference.run_talib_pandas(con)
    assert timing.rows_written["indicators"] == 2 * 2 * 252
    assert timing.total >= timing.compute > 0
    columns = {row[0] for row in con.execute("describe reference_bench.indicators").fetchall()}
    assert {"sma_200", "adx_14", "volatility_20", "obv"} <= columns


def test_report_renders_ratios_and_marks_missing_models() -> None:
    run = {"wall_seconds": 10.0, "peak_rss_bytes": 2**30, "success": True, "timed_out": False,
           "incremental_models": [], "error_tail": "",
           "nodes": [{"name": "indicators", "resource_type": "model", "materialized": "table", "seconds": 4.0,
                      "unique_id": "model.x.indicators", "language": "sql", "status": "success"}]}
    raw = {"machine": {"date": "d", "cpu_count": 2, "cpu_model": "c", "memory_gib": 8, "platform": "p",
                       "python": "3.11", "duckdb": "2", "dbt": "1.11", "load_average_at_start": [0, 0, 0]},
           "duckdb_settings": {"threads": "2"}, "notes": [],
           "sizes": [{"label": "50x5y", "symbols": 50, "years": 5, "rows": 63000, "full": run, "incremental": run,
                      "reference": {"talib_pandas": {"read": 1, "compute": 4, "indicators": 2, "write": 1,
                                                     "total": 5, "rows_written": {}}},
                      "reference_errors": {"vectorbt": "skipped"}}]}
    text = bench_report.render(raw, 0.2)
    assert "| 50x5y | 63,000 | 10.0 | 200.0 | 1,024 |" in text
    assert "| 2.00 | 2.50 | n/a | n/a |" in text
    assert "model not on main" in text
