"""Turns the benchmark's raw figures (results.json) into docs/BENCHMARKS.md and a console summary."""

from __future__ import annotations

from pathlib import Path

SLOWEST_SHOWN = 8
SLOWEST_TESTS_SHOWN = 5
# Everything after this line in docs/BENCHMARKS.md is written by hand and kept across re-runs.
FINDINGS_MARKER = "<!-- hand-written findings below: kept when make bench re-renders this file -->"
INDICATOR_MODEL = "indicators"
PATH_MODEL = "path_indicators"
UNDER_LOAD_ABOVE = 1.0
GIB = 2**30
MIB = 2**20

# issue 13's goals (docs/BENCHMARKS.md "Goals of issue 13")
DAILY_SECONDS_250X10 = 10.0
DAILY_SECONDS_2000X20 = 45.0
DAILY_PEAK_GIB_2000X20 = 4.0
HISTORY_DOUBLING_CHANGE = 0.20
FIXED_COST_SECONDS = 8.0
SIGNALS_READY_SECONDS = 3.0
SIGNALS_WAREHOUSE_SECONDS = 1.0
FULL_SECONDS_250X10 = 30.0
FULL_SECONDS_2000X20 = 150.0
FULL_PEAK_GIB_2000X20 = 8.0
SWEEP_TIME_RATIO = 2.0
SWEEP_PEAK_RATIO = 1.0


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def _s(value: float | None) -> str:
    """Seconds with their unit, or n/a."""
    return "n/a" if value is None else f"{_seconds(value)} s"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "n/a"
    return f"{ours / theirs:,.2f}"


def _mib(value: int | None) -> str:
    return f"{value / MIB:,.0f}" if value else "n/a"


def _gib(value: int | None) -> str:
    return f"{value / GIB:,.2f} GiB" if value else "n/a"


def under_load(load: list[float] | None) -> bool:
    return bool(load) and load[0] > UNDER_LOAD_ABOVE


def _load_label(entry: dict) -> str:
    load = entry.get("load_average") or []
    return f" (measured under load: 1-min load {load[0]} at start)" if under_load(load) else ""


def _node_seconds(run: dict | None, name: str) -> float | None:
    if not run:
        return None
    for node in run.get("nodes", []):
        if node["resource_type"] == "model" and node["name"] == name:
            return node["seconds"]
    return None


def _phase(size: dict, tool: str, phase: str) -> float | None:
    return size.get("reference", {}).get(tool, {}).get(phase)


def _build_cell(run: dict | None) -> str:
    if not run:
        return "not run"
    if run["timed_out"]:
        return f"timed out after {run['wall_seconds']:,.0f} s"
    if not run["success"]:
        return f"FAILED after {_seconds(run['wall_seconds'])} s"
    return _seconds(run["wall_seconds"])


def _ok(run: dict | None) -> float | None:
    return run["wall_seconds"] if run and run["success"] else None


def _jobs(size: dict) -> list[dict]:
    return [daily["job"] for daily in size.get("daily", []) if daily.get("job")]


def daily_seconds(size: dict | None) -> float | None:
    """The slower of the size's daily jobs, None unless every one ran and succeeded."""
    jobs = _jobs(size) if size else []
    if not jobs or not all(job["success"] for job in jobs):
        return None
    return max(job["wall_seconds"] for job in jobs)


def daily_peak(size: dict | None) -> int | None:
    jobs = _jobs(size) if size else []
    if not all(job["success"] for job in jobs):
        return None  # a failed job's peak is no answer to the goal
    return max((job["peak_rss_bytes"] for job in jobs), default=None)


def _number(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def ready_figures(daily: dict) -> tuple[float | None, float | None, str]:
    """(wall, warehouse, source) of one daily job's signals ready: the runner's own figure (its
    console line, else its JSON log event, else its ops.runs columns) when it reports one, else
    the one computed from the job's node lines (counted from the job's process start)."""
    ready = daily.get("signals_ready", {})
    computed, reported = ready.get("computed", {}), ready.get("reported", {})
    event, ops_run = reported.get("log_event", {}), daily.get("ops_run", {})
    candidates = [(reported.get("console_seconds"), reported.get("console_warehouse_seconds"), "runner's console"),
                  (event.get("seconds"), event.get("signal_path_seconds"), "runner's log"),
                  (ops_run.get("signals_ready_seconds"), ops_run.get("signal_path_seconds"), "ops.runs")]
    for wall, warehouse, source in candidates:
        if _number(wall) is not None:
            spent = _number(warehouse)
            return _number(wall), spent if spent is not None else computed.get("warehouse_seconds"), source
    return computed.get("wall_seconds"), computed.get("warehouse_seconds"), "node lines"


def signals_ready(size: dict | None) -> tuple[float | None, float | None]:
    """(wall, warehouse) seconds to signals ready, the slower daily job's (ready_figures)."""
    figures = [ready_figures(daily) for daily in (size or {}).get("daily", [])]
    walls = [wall for wall, _, _ in figures if wall is not None]
    warehouse = [spent for _, spent, _ in figures if spent is not None]
    return (max(walls) if walls else None, max(warehouse) if warehouse else None)


def signals_source(size: dict | None) -> str:
    sources = sorted({source for *_, source in (ready_figures(d) for d in (size or {}).get("daily", []))})
    return f" (from the {', '.join(sources)})" if sources else ""


def find_size(raw: dict, symbols: int, years: int, tier: str = "size") -> dict | None:
    for size in raw.get("sizes", []):
        if size.get("tier", "size") == tier and size["symbols"] == symbols and size["years"] == years:
            return size
    return None


def _verdict(value: float | None, limit: float | None) -> str:
    if value is None or limit is None:
        return "not measured"
    return "pass" if value <= limit else "FAIL"


def _size_tag(size: dict | None) -> str:
    if not size:
        return ""
    return f" ({size['rows']:,} rows){_load_label(size)}"


def goal_rows(raw: dict) -> list[tuple[str, str, str]]:
    """(goal, measured value, pass / FAIL / not measured) for each goal of issue 13."""
    rows: list[tuple[str, str, str]] = []
    small, large = find_size(raw, 250, 10), find_size(raw, 2000, 20)

    value = daily_seconds(small)
    rows.append((f"daily job at 250x10y <= {DAILY_SECONDS_250X10:.0f} s (slower of the daily runs)",
                 f"{_s(value)}{_size_tag(small)}", _verdict(value, DAILY_SECONDS_250X10)))
    value = daily_seconds(large)
    talib = _phase(large, "talib_pandas", "total") if large else None
    limit = talib or DAILY_SECONDS_2000X20
    rows.append((f"daily job at 2000x20y <= the TA-Lib + pandas full recompute on the same data "
                 f"({_s(talib)} measured; {DAILY_SECONDS_2000X20:.0f} s when not)", f"{_s(value)}{_size_tag(large)}",
                 _verdict(value, limit)))
    peak = daily_peak(large)
    rows.append((f"daily job peak at 2000x20y <= {DAILY_PEAK_GIB_2000X20:.0f} GiB", f"{_gib(peak)}{_size_tag(large)}",
                 _verdict(peak / GIB if peak else None, DAILY_PEAK_GIB_2000X20)))

    history = [s for s in raw.get("sizes", []) if s.get("tier") == "history"]
    if history:
        doubled = history[0]
        base = find_size(raw, doubled["symbols"], doubled["years"] // 2)
        before, after = daily_seconds(base), daily_seconds(doubled)
        change = (after / before - 1.0) if before and after else None
        measured = (f"{base['label'] if base else '?'}: {_s(before)}, {doubled['label']}: {_s(after)}, "
                    f"change {100 * change:+.0f}%" if change is not None else "n/a") + _load_label(doubled)
        rows.append((f"doubling the history changes the daily job by at most {100 * HISTORY_DOUBLING_CHANGE:.0f}%",
                     measured, _verdict(abs(change) if change is not None else None, HISTORY_DOUBLING_CHANGE)))
    else:
        rows.append((f"doubling the history changes the daily job by at most {100 * HISTORY_DOUBLING_CHANGE:.0f}%",
                     "not run (--history-check)", "not measured"))

    fixed = next((s for s in raw.get("sizes", []) if s.get("tier") == "fixed_cost"), None)
    value = daily_seconds(fixed)
    rows.append((f"daily job of {fixed['symbols'] if fixed else 3} symbols <= {FIXED_COST_SECONDS:.0f} s",
                 f"{_s(value)}{_size_tag(fixed)}", _verdict(value, FIXED_COST_SECONDS)))

    wall, warehouse = signals_ready(small)
    rows.append((f"signals ready at 250x10y <= {SIGNALS_READY_SECONDS:.0f} s",
                 f"{_s(wall)}{signals_source(small)}{_size_tag(small)}", _verdict(wall, SIGNALS_READY_SECONDS)))
    rows.append((f"signal path warehouse time at 250x10y <= {SIGNALS_WAREHOUSE_SECONDS:.0f} s",
                 f"{_s(warehouse)}{_size_tag(small)}", _verdict(warehouse, SIGNALS_WAREHOUSE_SECONDS)))

    value = _ok(small.get("full")) if small else None
    rows.append((f"full build at 250x10y <= {FULL_SECONDS_250X10:.0f} s", f"{_s(value)}{_size_tag(small)}",
                 _verdict(value, FULL_SECONDS_250X10)))
    value = _ok(large.get("full")) if large else None
    rows.append((f"full build at 2000x20y <= {FULL_SECONDS_2000X20:.0f} s", f"{_s(value)}{_size_tag(large)}",
                 _verdict(value, FULL_SECONDS_2000X20)))
    full = large.get("full") if large else None
    peak = full["peak_rss_bytes"] if full else None
    # a failed build's peak says nothing about the goal: it stopped before its largest step was done
    rows.append((f"full build peak at 2000x20y <= {FULL_PEAK_GIB_2000X20:.0f} GiB",
                 f"{_gib(peak)}{'' if not full or full['success'] else ' (build failed)'}{_size_tag(large)}",
                 _verdict(peak / GIB if peak and full["success"] else None, FULL_PEAK_GIB_2000X20)))
    largest = find_size(raw, 5000, 20)
    full = largest.get("full") if largest else None
    rows.append(("5000x20y full build completes within the machine's memory (time recorded)",
                 f"{_build_cell(full)} s, peak {_gib(full['peak_rss_bytes'] if full else None)}{_size_tag(largest)}"
                 if full else "not run (--include-5000)",
                 ("pass" if full["success"] else "FAIL") if full else "not measured"))

    sweep = (raw.get("sweeps") or [None])[0]
    ours = sweep.get("ours") if sweep else None
    theirs = sweep.get("vectorbt_timings", {}).get("total") if sweep else None
    vbt_step = sweep.get("vectorbt") if sweep else None
    complete = bool(sweep) and sweep.get("performance_param_sets") == sweep.get("parameter_sets")
    ours_seconds = _ok(ours) if complete else None
    tag = f" ({sweep['parameter_sets']} sets on {sweep['label']}){_load_label(sweep)}" if sweep else ""
    time_ratio = ours_seconds / theirs if ours_seconds and theirs else None
    rows.append((f"sweep <= {SWEEP_TIME_RATIO:.0f}x vectorbt's time",
                 f"ours {_s(ours_seconds)}, vectorbt {_s(theirs)}, ratio "
                 f"{_seconds(time_ratio)}{tag}", _verdict(time_ratio, SWEEP_TIME_RATIO)))
    ours_peak = ours["peak_rss_bytes"] if ours and complete else None
    theirs_peak = vbt_step["peak_rss_bytes"] if vbt_step and vbt_step["success"] else None
    peak_ratio = ours_peak / theirs_peak if ours_peak and theirs_peak else None
    rows.append(("sweep peak <= vectorbt's peak",
                 f"ours {_gib(ours_peak)}, vectorbt {_gib(theirs_peak)}, ratio {_seconds(peak_ratio)}{tag}",
                 _verdict(peak_ratio, SWEEP_PEAK_RATIO)))
    return rows


def goals_table(raw: dict) -> list[str]:
    lines = ["| goal | measured | verdict |", "|---|---|---|"]
    lines += [f"| {goal} | {measured} | {verdict} |" for goal, measured, verdict in goal_rows(raw)]
    return lines


def main_table(sizes: list[dict], seed_seconds: float) -> list[str]:
    lines = [
        "| size | rows | full build (s) | full per symbol (ms) | full peak (MiB) | daily job 1 / 2 (s) "
        "| daily per symbol (ms) | daily peak (MiB) | signals ready (s) / warehouse (s) "
        "| TA-Lib+pandas compute / total (s) | vectorbt compute / total (s) | full / TA-Lib+pandas total "
        "| full / vectorbt total | daily / TA-Lib+pandas total |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        full = size.get("full")
        ours = _ok(full)
        daily = daily_seconds(size)
        jobs = " / ".join(_build_cell(job) for job in _jobs(size)) or "not run"
        talib_compute, talib_total = _phase(size, "talib_pandas", "compute"), _phase(size, "talib_pandas", "total")
        vbt_compute, vbt_total = _phase(size, "vectorbt", "compute"), _phase(size, "vectorbt", "total")
        wall, warehouse = signals_ready(size)
        full_per_symbol = f"{1000 * ours / size['symbols']:,.1f}" if ours else "n/a"
        daily_per_symbol = f"{1000 * daily / size['symbols']:,.1f}" if daily else "n/a"
        lines.append(
            f"| {size['label']}{' (history check)' if size.get('tier') == 'history' else ''} | {size['rows']:,} "
            f"| {_build_cell(full)} | {full_per_symbol} "
            f"| {_mib(full['peak_rss_bytes'] if full else None)} | {jobs} "
            f"| {daily_per_symbol} | {_mib(daily_peak(size))} "
            f"| {_seconds(wall)} / {_seconds(warehouse)} "
            f"| {_seconds(talib_compute)} / {_seconds(talib_total)} | {_seconds(vbt_compute)} / {_seconds(vbt_total)} "
            f"| {_ratio(ours, talib_total)} | {_ratio(ours, vbt_total)} | {_ratio(daily, talib_total)} |"
        )
    lines.append("")
    lines.append(f"The seed system this project replaces needed about {seed_seconds} s per symbol for its daily run "
                 f"({seed_seconds * 1000:.0f} ms in the per-symbol columns).")
    return lines


def daily_table(sizes: list[dict]) -> list[str]:
    lines = ["| tier | size | run | session | load (s) | job (s) | job peak (MiB) | nodes | signals ready (s) "
             "| signal path warehouse (s) | the runner's own signals-ready report | ops.runs status |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for size in sizes:
        for number, daily in enumerate(size.get("daily", []), start=1):
            job, load = daily.get("job"), daily.get("load")
            computed = daily.get("signals_ready", {}).get("computed", {})
            reported = daily.get("signals_ready", {}).get("reported", {})
            told = reported.get("console_line") or (str(reported["log_event"]) if "log_event" in reported else "none")
            lines.append(
                f"| {size.get('tier', 'size')} | {size['label']} | {number} | {daily['day']} | {_build_cell(load)} "
                f"| {_build_cell(job)} | {_mib(job['peak_rss_bytes'] if job else None)} "
                f"| {len(job['nodes']) if job else 0} | {_seconds(computed.get('wall_seconds'))} "
                f"| {_seconds(computed.get('warehouse_seconds'))} | {told.replace('|', '/')[:160]} "
                f"| {daily.get('ops_run', {}).get('status', 'n/a')} |")
    return lines


def model_vs_loop_table(sizes: list[dict]) -> list[str]:
    lines = [
        "| size | `indicators` model (s) | TA-Lib indicators, per-symbol loop (s) | ratio | "
        "`path_indicators` model (s) | TA-Lib SAR, per-symbol loop (s) | ratio | TA-Lib SAR read+loop+write (s) "
        "| ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        indicators = _node_seconds(size.get("full"), INDICATOR_MODEL)
        path = _node_seconds(size.get("full"), PATH_MODEL)
        talib_indicators = _phase(size, "talib_pandas", "indicators")
        sar = _phase(size, "talib_sar", "compute")
        sar_total = _phase(size, "talib_sar", "total")
        lines.append(
            f"| {size['label']} | {_seconds(indicators) if indicators is not None else 'model not on main'} "
            f"| {_seconds(talib_indicators)} | {_ratio(indicators, talib_indicators)} "
            f"| {_seconds(path) if path is not None else 'model not on main'} | {_seconds(sar)} "
            f"| {_ratio(path, sar)} | {_seconds(sar_total)} | {_ratio(path, sar_total)} |"
        )
    return lines


def sweep_lines(sweeps: list[dict]) -> list[str]:
    if not sweeps:
        return ["Not run in this run (--skip-sweep)."]
    lines = ["| size | rows | parameter sets | sets in `performance` | ours (s) | ours peak (MiB) "
             "| vectorbt read + compute (s) | vectorbt peak (MiB) | time ratio | peak ratio | load at start |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for sweep in sweeps:
        ours, vbt = sweep.get("ours"), sweep.get("vectorbt")
        timings = sweep.get("vectorbt_timings", {})
        vbt_peak = vbt["peak_rss_bytes"] if vbt and vbt["success"] else None
        load = " / ".join(str(x) for x in sweep.get("load_average", []))
        load += " (under load)" if under_load(sweep.get("load_average")) else ""
        vbt_cell = (f"{_seconds(timings.get('read'))} + {_seconds(timings.get('compute'))} = "
                    f"{_seconds(timings.get('total'))}") if timings else (sweep.get("vectorbt_error") or "not run")
        lines.append(
            f"| {sweep['label']} | {sweep['rows']:,} | {sweep['parameter_sets']} | {sweep['performance_param_sets']} "
            f"| {_build_cell(ours)} | {_mib(ours['peak_rss_bytes'] if ours else None)} | {vbt_cell[:200]} "
            f"| {_mib(vbt_peak)} | {_ratio(_ok(ours), timings.get('total'))} "
            f"| {_ratio(ours['peak_rss_bytes'] if ours else None, vbt_peak)} "
            f"| {load} |")
    grid = sweeps[0].get("grid", {})
    lines += ["", f"Grid: fast {grid.get('fast')} x slow {grid.get('slow')}, one `sma_crossover` strategy passed as "
              "`--vars '{strategies: [...]}'` to `dbt build --select +performance --indirect-selection "
              "cautious` (the data tests of those models only) on a warehouse holding only the "
              "market data. vectorbt: `MA.run` over the parameter lists (repeated and tiled into the full grid), "
              "`ma_crossed_above` / `ma_crossed_below`, `Portfolio.from_signals` with next-open fills and the same "
              "cost, then total return, Sharpe ratio and maximum drawdown per column; read from the same DuckDB "
              "file; in its own child process (peak RSS sampled the same way as ours); numba compilation (a first run "
              "on two symbols) excluded from its time, "
              + (f"{_seconds(sweeps[0].get('vectorbt_timings', {}).get('warm_up_excluded'))} s here"
                 if sweeps[0].get("vectorbt_timings") else "n/a here")
              + ", but not from its peak. A parameter set with no trade at all has no `equity_curve` and so no "
              "`performance` rows (seen only on tiny universes); the time goal counts only when every set has rows."]
    return lines


def slowest_nodes(size: dict) -> list[str]:
    lines: list[str] = []
    runs = [("full build", size.get("full"))]
    runs += [(f"daily job {n}", daily.get("job")) for n, daily in enumerate(size.get("daily", []), start=1)]
    for kind, run in runs:
        if not run or not run.get("nodes"):
            continue
        models = sorted((n for n in run["nodes"] if n["resource_type"] in {"model", "seed"}),
                        key=lambda n: -n["seconds"])
        tests = [n for n in run["nodes"] if n["resource_type"] == "test"]
        total_models = sum(n["seconds"] for n in models)
        tier = "" if size.get("tier", "size") == "size" else f" ({size['tier'].replace('_', ' ')})"
        lines.append(f"**{size['label']}{tier}, {kind}**: {len(models)} models/seeds took {_seconds(total_models)} s "
                     f"of warehouse time, {len(tests)} data tests {_seconds(sum(n['seconds'] for n in tests))} s.")
        lines.append("")
        lines.append("| model | materialized | seconds | share of model time |")
        lines.append("|---|---|---:|---:|")
        for node in models[:SLOWEST_SHOWN]:
            share = f"{100 * node['seconds'] / total_models:.0f}%" if total_models else "n/a"
            lines.append(f"| {node['name']} | {node['materialized']} | {_seconds(node['seconds'])} | {share} |")
        lines.append("")
        slow_tests = sorted(tests, key=lambda n: -n["seconds"])[:SLOWEST_TESTS_SHOWN]
        if slow_tests:
            lines.append("Slowest data tests: " + ", ".join(f"`{n['name']}` {_seconds(n['seconds'])} s"
                                                            for n in slow_tests) + ".")
            lines.append("")
    return lines


def runs_table(sizes: list[dict], sweeps: list[dict]) -> list[str]:
    lines = ["| tier | size | rows | measured at | commit of main | load average at start (1/5/15 min) "
             "| data generation (s) |",
             "|---|---|---:|---|---|---|---:|"]
    for entry in [*sizes, *({**sweep, "tier": "sweep"} for sweep in sweeps)]:
        load = " / ".join(str(x) for x in entry.get("load_average", [])) or "n/a"
        flag = " **under load**" if under_load(entry.get("load_average")) else ""
        lines.append(f"| {entry.get('tier', 'size').replace('_', ' ')} | {entry['label']} | {entry['rows']:,} "
                     f"| {entry.get('measured_at', '')} | {entry.get('commit', '')} | {load}{flag} "
                     f"| {_seconds(entry.get('generate_seconds'))} |")
    return lines


def reference_details(sizes: list[dict]) -> list[str]:
    lines = ["| size | tool | read (s) | compute (s) | write (s) | total (s) | rows written |",
             "|---|---|---:|---:|---:|---:|---|"]
    for size in sizes:
        for tool, timing in size.get("reference", {}).items():
            written = ", ".join(f"{table} {rows:,}" for table, rows in timing.get("rows_written", {}).items())
            lines.append(f"| {size['label']} | {tool} | {_seconds(timing['read'])} | {_seconds(timing['compute'])} "
                         f"| {_seconds(timing['write'])} | {_seconds(timing['total'])} | {written} |")
        for tool, error in size.get("reference_errors", {}).items():
            lines.append(f"| {size['label']} | {tool} | - | - | - | - | not measured: {error} |")
    return lines


def kept_findings(docs: Path) -> str:
    if not docs.exists():
        return ""
    text = docs.read_text()
    return text.split(FINDINGS_MARKER, 1)[1].strip() if FINDINGS_MARKER in text else ""


def load_banner(raw: dict) -> list[str]:
    loads = [raw["machine"].get("load_average_at_start"),
             *(entry.get("load_average") for entry in [*raw["sizes"], *raw.get("sweeps", [])])]
    if not any(under_load(load) for load in loads):
        return []
    return ["**Measured under load**: the 1-min load average exceeded "
            f"{UNDER_LOAD_ABOVE} at the start of the run or of a tier (see the tables below); other work "
            "shared the machine, so these figures are slower and noisier than on an idle machine.", ""]


def render(raw: dict, seed_seconds: float, findings: str = "") -> str:
    machine, settings = raw["machine"], raw["duckdb_settings"]
    sizes = raw["sizes"]
    sweeps = raw.get("sweeps", [])
    main_sizes = [s for s in sizes if s.get("tier", "size") != "fixed_cost"]
    fixed = [s for s in sizes if s.get("tier") == "fixed_cost"]
    incremental_models = sorted({m for s in sizes if s.get("full") for m in s["full"].get("incremental_models", [])})
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`scripts/benchmark.py`); re-run it to refresh every figure below.",
        "Synthetic universes are deterministic geometric random walks (`strategy_engine/synthetic.py`, `Universe`), "
        "252 trading days a year, ending 2025-12-31, written into `trading_data.market_data` of a fresh "
        "DuckDB file per tier. Our builds use the default strategies of `dbt_project.yml` (every enabled one). "
        "Every step is a child process: \"full build\" is `dbt build` from empty (seeds, every model, every "
        "data test); a \"daily job\" writes one new session for every symbol as CSV, loads it with "
        "`strategy-engine load` (timed apart), then runs `strategy-engine run --date <session> --force "
        "--skip-validation` (everything the job builds and tests, ops.runs, the digest alert to the outbox). "
        "Peak RSS is the sum over the process tree, sampled every 50 ms. \"Signals ready\" is the runner's "
        "own figure when it reports one (its console line, JSON log event or ops.runs columns; the goals "
        "table says which); otherwise the moment the job printed the result of the later of `signals` and "
        "`daily_signal_digest`, counted from the job's process start, with as warehouse time the sum of the "
        "execution times of the models and seeds those two are built from. The daily-jobs table shows both.",
        "",
        *load_banner(raw),
        "## Machine",
        "",
        f"- date: {machine['date']}",
        f"- CPU: {machine['cpu_count']} cores ({machine['cpu_model']}), memory {machine['memory_gib']} GiB",
        f"- load average when the run started: {machine['load_average_at_start']}"
        + (" (**under load**)" if under_load(machine.get("load_average_at_start")) else ""),
        f"- {machine['platform']}, Python {machine['python']}, DuckDB {machine['duckdb']}, {machine['dbt']}",
        f"- the whole run took {_s(raw.get('elapsed_seconds'))}",
        "",
        "DuckDB settings as dbt-duckdb applied them (read back with `dbt show` through the `local` target; "
        "set them with `SE_DUCKDB_THREADS`, `SE_DUCKDB_MEMORY_LIMIT`):",
        "",
        *[f"- `{key}`: {value}" for key, value in settings.items()],
        "",
        "Each tier's warehouse spills to DuckDB's default `<warehouse file>.tmp` in its own `<workdir>/<tier>/` "
        "(profiles/profiles.yml says why `temp_directory` is not set per cursor).",
        "",
        *runs_table(sizes, sweeps),
        "",
    ]
    if raw.get("notes"):
        lines += ["## Notes on this run", "", *[f"- {note}" for note in raw["notes"]], ""]
    lines += [
        "## Goals of issue 13",
        "",
        *goals_table(raw),
        "",
        "A daily-job goal takes the slower of the size's daily jobs; \"not measured\" means the tier was not "
        "run or did not complete.",
        "",
        "## Results",
        "",
        *main_table(main_sizes, seed_seconds),
        "",
        "Ratios are ours / theirs: below 1 means the warehouse pipeline was faster. \"Total\" is the "
        "reference's whole read-compute-write path (read `market_data` out of the same DuckDB file, "
        "compute, write the results back as tables); \"compute\" excludes the reads and writes. The "
        "references compute four strategies (below); our builds compute every enabled strategy of "
        "`dbt_project.yml` and run every data test, which the references do not do.",
        "",
        "## Daily jobs",
        "",
        *daily_table(sizes),
        "",
        "## Fixed cost",
        "",
        *(main_table(fixed, seed_seconds)[:-2] if fixed else ["Not run in this run (--skip-fixed-cost)."]),
        "",
        "## Parameter sweep",
        "",
        *sweep_lines(sweeps),
        "",
        "## Indicators and path indicators against TA-Lib loops",
        "",
        *model_vs_loop_table([s for s in main_sizes if s.get("reference")]),
        "",
        "The model times are the warehouse time of that model alone in the full build (`run_results.json`); "
        "the TA-Lib times are the indicator calls alone inside the per-symbol loop (no read, no write).",
        "",
        "## Reference pipelines in detail",
        "",
        *reference_details(main_sizes),
        "",
        "- `talib_pandas`: the way the replaced system worked. One query reads the market data; a "
        "per-symbol loop computes the `indicators` mart's columns with TA-Lib (default parameters), "
        "the four strategies' entries and exits (SMA 50/200 cross; RSI 14 through 30, exit through 70 "
        "or after 20 days; MACD cross above signal while close > EMA 200; close below the lower band, "
        "exit above the middle band), round trips filled at the next open with a flat 0.12% cost per "
        "side, daily net returns per symbol and an equal-weight portfolio per strategy; results are "
        "written back to schema `reference_bench` every 100 symbols.",
        "- `talib_sar`: `talib.SAR(high, low, 0.02, 0.2)` per symbol, written back as one table.",
        "- `vectorbt`: wide (date x symbol) frames, vectorbt indicators and `Portfolio.from_signals` "
        "per strategy (fills at the next open, same cost), written back to schema `reference_vectorbt`. "
        "Its numba kernels are first compiled on two symbols of the same data, untimed. Open-source vectorbt has no "
        "holding-time exit, so the RSI strategy's 20-day limit is approximated by an exit signal 20 "
        "rows after each entry.",
        "",
        "## Slowest models",
        "",
    ]
    for size in sizes:
        lines += slowest_nodes(size)
    lines += [
        "## Incremental models",
        "",
        ("Models materialized as `incremental` at the time of the run: "
         + (", ".join(f"`{m}`" for m in incremental_models) if incremental_models else "none")
         + ". Every other model is rebuilt in full by the daily job."),
        "",
        FINDINGS_MARKER,
        "",
        findings or "## Findings\n\n(none written yet)",
        "",
    ]
    return "\n".join(lines)


def summary_lines(raw: dict) -> str:
    out = []
    for size in raw["sizes"]:
        ours = _ok(size.get("full"))
        wall, warehouse = signals_ready(size)
        parts = [f"{size.get('tier', 'size')} {size['label']}: full build {_build_cell(size.get('full'))} s, "
                 f"daily jobs {' / '.join(_build_cell(job) for job in _jobs(size)) or 'not run'} s, "
                 f"signals ready {_seconds(wall)} s (warehouse {_seconds(warehouse)} s)"]
        for tool in ("talib_pandas", "vectorbt"):
            total = _phase(size, tool, "total")
            if total:
                parts.append(f"full/{tool} total {_ratio(ours, total)}")
        out.append("; ".join(parts))
    for sweep in raw.get("sweeps", []):
        out.append(f"sweep {sweep['label']}: ours {_build_cell(sweep.get('ours'))} s, "
                   f"{sweep['performance_param_sets']}/{sweep['parameter_sets']} sets; vectorbt "
                   f"{_seconds(sweep.get('vectorbt_timings', {}).get('total'))} s")
    out += [f"goal: {goal}: {measured} -> {verdict}" for goal, measured, verdict in goal_rows(raw)]
    return "\n".join(out)
