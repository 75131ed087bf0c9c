"""The benchmark harness's own logic: deterministic universes, the reference's round trips, the report."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))

import bench_reference  # noqa: E402
import bench_report  # noqa: E402
import bench_sweep  # noqa: E402
import benchmark  # noqa: E402
from bench_process import parse_dbt_result_line, run_measured  # noqa: E402

from strategy_engine.loading import load_paths  # noqa: E402
from strategy_engine.synthetic import Universe, append_next_day, write_session_csv, write_universe  # noqa: E402
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


def test_session_csv_loads_through_the_loader_and_sessions_follow_each_other(tmp_path: Path) -> None:
    universe = Universe(symbols=3, years=1)
    con = duckdb.connect()
    ensure_source_tables(con)
    write_universe(con, universe)
    for number in (1, 2):
        day = write_session_csv(con, universe, number, tmp_path / f"session_{number}.csv")
        assert day == universe.next_day(number)
        load_paths(con, [tmp_path / f"session_{number}.csv"])
    per_day = con.execute("select trade_date, count(*) from trading_data.market_data where trade_date > ? "
                          "group by all order by 1", [universe.trade_dates()[-1].date()]).fetchall()
    assert per_day == [(universe.next_day(1).date(), 3), (universe.next_day(2).date(), 3)]
    assert universe.next_day(2) > universe.next_day(1) > pd.Timestamp(universe.trade_dates()[-1])


def test_dbt_console_lines_parse_into_nodes() -> None:
    model = parse_dbt_result_line("12:00:01  3 of 40 OK created sql incremental model strategy_data.signals "
                                  "....... [INSERT 0 12 in 0.42s]\n")
    assert model and (model["resource_type"], model["name"], model["seconds"]) == ("model", "signals", 0.42)
    seed = parse_dbt_result_line("12:00:01  1 of 40 OK loaded seed file main.trading_calendar ..... "
                                 "[INSERT 250 in 0.11s]")
    assert seed and (seed["resource_type"], seed["name"]) == ("seed", "trading_calendar")
    test = parse_dbt_result_line("12:00:02  5 of 40 PASS not_null_signals_symbol ........ [PASS in 0.05s]")
    assert test and (test["resource_type"], test["name"], test["status"]) == ("test", "not_null_signals_symbol",
                                                                              "pass")
    warn = parse_dbt_result_line("12:00:02  6 of 40 WARN 2 assert_few_rejects ......... [WARN 2 in 0.10s]")
    assert warn and (warn["name"], warn["status"]) == ("assert_few_rejects", "warn")
    assert parse_dbt_result_line("12:00:00  Found 30 models, 150 data tests") is None


def test_signals_ready_counts_the_signal_path_only() -> None:
    manifest = {"nodes": {f"model.p.{name}": {"resource_type": "model", "name": name}
                          for name in ("stg", "indicators", "signals", "daily_signal_digest", "performance")},
                "parent_map": {"model.p.signals": ["model.p.indicators"], "model.p.indicators": ["model.p.stg"],
                               "model.p.daily_signal_digest": ["model.p.signals"],
                               "model.p.performance": ["model.p.signals"], "model.p.stg": []}}
    path = benchmark.signal_path(manifest)
    assert path == {"stg", "indicators", "signals", "daily_signal_digest"}
    nodes = [{"resource_type": "model", "name": name, "seconds": seconds, "done_at": at}
             for name, seconds, at in (("stg", 0.1, 1.0), ("indicators", 0.5, 1.6), ("signals", 0.2, 1.9),
                                       ("daily_signal_digest", 0.1, 2.1), ("performance", 5.0, 7.5))]
    nodes.append({"resource_type": "test", "name": "not_null_signals_symbol", "seconds": 0.3, "done_at": 2.5})
    ready = benchmark.computed_signals_ready(nodes, path)
    assert ready["wall_seconds"] == 2.1
    assert ready["warehouse_seconds"] == pytest.approx(0.9)


def test_the_runners_own_signals_ready_figure_wins_over_the_computed_one(tmp_path: Path) -> None:
    line = "      signals ready 1.4 s after the build started (signal path node time 0.6 s)\n"
    child = run_measured([sys.executable, "-c", f"print({line!r}, end='')"], {}, tmp_path, timeout=30, label="job")
    reported = benchmark.reported_signals_ready(child)
    assert (reported["console_seconds"], reported["console_warehouse_seconds"]) == (1.4, 0.6)
    computed = {"wall_seconds": 2.5, "warehouse_seconds": 0.9}
    daily = {"signals_ready": {"reported": reported, "computed": computed}, "ops_run": {}}
    assert bench_report.ready_figures(daily) == (1.4, 0.6, "runner's console")
    from_ops = {"signals_ready": {"reported": {}, "computed": computed},
                "ops_run": {"signals_ready_seconds": "1.1", "signal_path_seconds": "None"}}
    assert bench_report.ready_figures(from_ops) == (1.1, 0.9, "ops.runs")
    alone = {"signals_ready": {"reported": {}, "computed": computed}, "ops_run": {}}
    assert bench_report.ready_figures(alone) == (2.5, 0.9, "node lines")


def test_sweep_grid_is_ten_by_ten() -> None:
    params = bench_sweep.sweep_vars()["strategies"][0]["params"]
    assert params["fast"] == [10, 15, 20, 25, 30, 35, 40, 45, 50, 55]
    assert params["slow"] == [100, 110, 120, 130, 140, 150, 160, 170, 180, 190]
    assert bench_sweep.parameter_sets() == 100


def test_measured_child_reports_lines_peak_and_timeout(tmp_path: Path) -> None:
    done = run_measured([sys.executable, "-c", "print('one', flush=True); import time; time.sleep(0.3)"],
                        {}, tmp_path, timeout=30, label="child")
    assert done.success and done.text("stdout") == ["one\n"] and done.peak_rss_bytes > 0
    hung = run_measured([sys.executable, "-c", "import time; time.sleep(30)"], {}, tmp_path, timeout=0.5,
                        label="hung")
    assert hung.timed_out and not hung.success and hung.wall_seconds < 10


def _step(seconds: float, peak_gib: float = 1.0, success: bool = True) -> dict:
    return {"command": "x", "wall_seconds": seconds, "peak_rss_bytes": int(peak_gib * 2**30), "success": success,
            "timed_out": False, "incremental_models": [], "error_tail": "",
            "nodes": [{"name": "indicators", "resource_type": "model", "materialized": "table", "seconds": 4.0,
                       "unique_id": "model.x.indicators", "language": "sql", "status": "success"}]}


def _size(symbols: int, years: int, full: float, daily: list[float], tier: str = "size",
          load: float = 0.2) -> dict:
    return {"label": f"{symbols}x{years}y", "symbols": symbols, "years": years, "rows": symbols * years * 252,
            "tier": tier, "full": _step(full), "load_average": [load, 0.5, 0.5],
            "daily": [{"day": "2026-01-01", "load": _step(0.5), "job": _step(seconds, 0.5),
                       "signals_ready": {"computed": {"wall_seconds": 2.0, "warehouse_seconds": 0.8},
                                         "reported": {}}, "ops_run": {"status": "success"}}
                      for seconds in daily],
            "reference": {"talib_pandas": {"read": 1, "compute": 4, "indicators": 2, "write": 1, "total": 5,
                                           "rows_written": {}}},
            "reference_errors": {"vectorbt": "skipped"}}


def _raw(sizes: list[dict], sweeps: list[dict] | None = None, load: float = 0.1) -> dict:
    return {"machine": {"date": "d", "cpu_count": 2, "cpu_model": "c", "memory_gib": 8, "platform": "p",
                        "python": "3.11", "duckdb": "2", "dbt": "1.11", "load_average_at_start": [load, 0, 0]},
            "duckdb_settings": {"threads": "2"}, "notes": [], "sizes": sizes, "sweeps": sweeps or []}


def test_report_renders_goals_with_verdicts() -> None:
    sweep = {"label": "250x10y", "symbols": 250, "years": 10, "rows": 630000, "parameter_sets": 100,
             "performance_param_sets": 100, "grid": {}, "ours": _step(90.0, 6.0), "vectorbt": _step(50.0, 8.0),
             "vectorbt_timings": {"read": 1.0, "compute": 49.0, "total": 50.0}, "load_average": [0.1, 0, 0]}
    raw = _raw([_size(3, 2, 5.0, [6.0, 7.0], "fixed_cost"), _size(250, 10, 25.0, [9.0, 11.0]),
                _size(250, 20, 40.0, [11.5, 12.0], "history")], [sweep])
    goals = {goal.split(" <=")[0].split(" changes")[0]: (measured, verdict)
             for goal, measured, verdict in bench_report.goal_rows(raw)}
    assert goals["daily job at 250x10y"] == ("11.0 s (630,000 rows)", "FAIL")  # the slower daily run counts
    assert goals["daily job of 3 symbols"][1] == "pass"
    assert goals["doubling the history"][1] == "pass"  # 12.0 / 11.0 = +9%
    assert goals["full build at 250x10y"][1] == "pass"
    assert goals["full build at 2000x20y"][1] == "not measured"
    assert goals["signals ready at 250x10y"][1] == "pass"
    assert goals["sweep"] == ("ours 90.0 s, vectorbt 50.0 s, ratio 1.80 (100 sets on 250x10y)", "pass")
    assert goals["sweep peak"][1] == "pass"
    text = bench_report.render(raw, 0.2)
    assert "## Goals of issue 13" in text and "Measured under load" not in text
    assert "| 250x10y | 630,000 | 25.0 | 100.0 | 1,024 | 9.00 / 11.0 | 44.0 | 512 | 2.00 / 0.80 |" in text
    assert "## Fixed cost" in text and "## Parameter sweep" in text
    assert "| 250x10y | 4.00 | 2.00 | 2.00 | model not on main |" in text


def test_report_labels_runs_under_load_and_incomplete_sweeps() -> None:
    sweep = {"label": "250x10y", "symbols": 250, "years": 10, "rows": 630000, "parameter_sets": 100,
             "performance_param_sets": 40, "grid": {}, "ours": _step(10.0), "vectorbt": _step(50.0),
             "vectorbt_timings": {"total": 50.0}, "load_average": [3.0, 0, 0]}
    raw = _raw([_size(250, 10, 25.0, [9.0], load=2.5)], [sweep], load=2.5)
    text = bench_report.render(raw, 0.2)
    assert "**Measured under load**" in text
    assert "(measured under load: 1-min load 2.5 at start)" in text
    verdicts = {goal: verdict for goal, _, verdict in bench_report.goal_rows(raw)}
    # 40 of 100 sets in performance: the sweep's time does not count
    assert verdicts["sweep <= 2x vectorbt's time"] == "not measured"


def test_a_failed_build_or_job_gives_no_peak_verdict() -> None:
    large = _size(2000, 20, 534.0, [60.0])
    large["full"] = _step(534.0, 7.1, success=False)  # ran out of memory part way: its peak answers nothing
    large["daily"][0]["job"] = _step(60.0, 2.0, success=False)
    goals = {goal: (measured, verdict) for goal, measured, verdict in bench_report.goal_rows(_raw([large]))}
    peak = goals["full build peak at 2000x20y <= 8 GiB"]
    assert peak == ("7.10 GiB (build failed) (10,080,000 rows)", "not measured")
    assert goals["full build at 2000x20y <= 150 s"][1] == "not measured"
    assert goals["daily job peak at 2000x20y <= 4 GiB"][1] == "not measured"
