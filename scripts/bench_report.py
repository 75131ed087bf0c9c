"""Turns the benchmark's raw figures (results.json) into docs/BENCHMARKS.md and a console summary."""

from __future__ import annotations

from pathlib import Path

SLOWEST_SHOWN = 8
SLOWEST_TESTS_SHOWN = 5
# Everything after this line in docs/BENCHMARKS.md is written by hand and kept across re-runs.
FINDINGS_MARKER = "<!-- hand-written findings below: kept when make bench re-renders this file -->"
INDICATOR_MODEL = "indicators"
PATH_MODEL = "path_indicators"


def _seconds(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.1f}" if value >= 10 else f"{value:,.2f}"


def _ratio(ours: float | None, theirs: float | None) -> str:
    if not ours or not theirs:
        return "n/a"
    return f"{ours / theirs:,.2f}"


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


def main_table(sizes: list[dict], seed_seconds: float) -> list[str]:
    lines = [
        "| size | rows | our full build (s) | per symbol (ms) | peak RSS (MiB) | daily incremental (s) "
        "| incremental per symbol (ms) | TA-Lib+pandas compute / total (s) | vectorbt compute / total (s) "
        "| ours / TA-Lib+pandas total | ours / TA-Lib+pandas compute | ours / vectorbt total "
        "| ours / vectorbt compute |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size in sizes:
        full, incremental = size.get("full"), size.get("incremental")
        ours = _ok(full)
        daily = _ok(incremental)
        talib_compute, talib_total = _phase(size, "talib_pandas", "compute"), _phase(size, "talib_pandas", "total")
        vbt_compute, vbt_total = _phase(size, "vectorbt", "compute"), _phase(size, "vectorbt", "total")
        per_symbol = f"{1000 * ours / size['symbols']:,.1f}" if ours else "n/a"
        daily_per_symbol = f"{1000 * daily / size['symbols']:,.1f}" if daily else "n/a"
        peak = f"{full['peak_rss_bytes'] / 2**20:,.0f}" if full else "n/a"
        lines.append(
            f"| {size['label']} | {size['rows']:,} | {_build_cell(full)} | {per_symbol} | {peak} "
            f"| {_build_cell(incremental)} | {daily_per_symbol} "
            f"| {_seconds(talib_compute)} / {_seconds(talib_total)} | {_seconds(vbt_compute)} / {_seconds(vbt_total)} "
            f"| {_ratio(ours, talib_total)} | {_ratio(ours, talib_compute)} | {_ratio(ours, vbt_total)} "
            f"| {_ratio(ours, vbt_compute)} |"
        )
    lines.append("")
    lines.append(f"The seed system this project replaces needed about {seed_seconds} s per symbol for its daily run "
                 f"({seed_seconds * 1000:.0f} ms in the per-symbol columns).")
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


def slowest_nodes(size: dict) -> list[str]:
    lines: list[str] = []
    for kind in ("full", "incremental"):
        run = size.get(kind)
        if not run or not run.get("nodes"):
            continue
        models = sorted((n for n in run["nodes"] if n["resource_type"] in {"model", "seed"}),
                        key=lambda n: -n["seconds"])
        tests = [n for n in run["nodes"] if n["resource_type"] == "test"]
        total_models = sum(n["seconds"] for n in models)
        lines.append(f"**{size['label']}, {kind} build**: {len(models)} models/seeds took {_seconds(total_models)} s "
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


def runs_table(sizes: list[dict]) -> list[str]:
    lines = ["| size | measured at | commit of main | load average at start (1/5/15 min) | data generation (s) |",
             "|---|---|---|---|---:|"]
    for size in sizes:
        load = " / ".join(str(x) for x in size.get("load_average", [])) or "n/a"
        lines.append(f"| {size['label']} | {size.get('measured_at', '')} | {size.get('commit', '')} | {load} "
                     f"| {_seconds(size.get('generate_seconds'))} |")
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


def render(raw: dict, seed_seconds: float, findings: str = "") -> str:
    machine, settings, sizes = raw["machine"], raw["duckdb_settings"], raw["sizes"]
    incremental_models = sorted({m for s in sizes for kind in ("full",) if s.get(kind)
                                 for m in s[kind].get("incremental_models", [])})
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`scripts/benchmark.py`); re-run it to refresh every figure below.",
        "Synthetic universes are deterministic geometric random walks (`scripts/bench_synthetic.py`), "
        "252 trading days a year, ending 2025-12-31, written into `trading_data.market_data` of a fresh "
        "DuckDB file per size. \"Our\" time is the wall time of `dbt build` (seeds, every model on main "
        "at the time of the run, and all data tests) as a child process; peak RSS is the sum over "
        "that process tree, sampled every 50 ms. The daily incremental run appends one business day "
        "for every symbol and runs `dbt build` again.",
        "",
        "## Machine",
        "",
        f"- date: {machine['date']}",
        f"- CPU: {machine['cpu_count']} cores ({machine['cpu_model']}), memory {machine['memory_gib']} GiB",
        f"- load average when the run started: {machine['load_average_at_start']}",
        f"- {machine['platform']}, Python {machine['python']}, DuckDB {machine['duckdb']}, {machine['dbt']}",
        "",
        "DuckDB settings as dbt-duckdb applied them (read back with `dbt show` through the `local` target; "
        "set them with `SE_DUCKDB_THREADS`, `SE_DUCKDB_MEMORY_LIMIT`):",
        "",
        *[f"- `{key}`: {value}" for key, value in settings.items()],
        "",
        "Each size's warehouse spills to DuckDB's default `<warehouse file>.tmp` in its own `<workdir>/<size>/` "
        "(profiles/profiles.yml says why `temp_directory` is not set per cursor).",
        "",
        *runs_table(sizes),
        "",
    ]
    if raw.get("notes"):
        lines += ["## Notes on this run", "", *[f"- {note}" for note in raw["notes"]], ""]
    lines += [
        "## Results",
        "",
        *main_table(sizes, seed_seconds),
        "",
        "Ratios are ours / theirs: below 1 means the warehouse pipeline was faster. \"Total\" is the "
        "reference's whole read-compute-write path (read `market_data` out of the same DuckDB file, "
        "compute, write the results back as tables); \"compute\" excludes the reads and writes. Our "
        "full build also runs every data test, which the references do not do.",
        "",
        "## Indicators and path indicators against TA-Lib loops",
        "",
        *model_vs_loop_table(sizes),
        "",
        "The model times are the warehouse time of that model alone (`run_results.json`); the TA-Lib "
        "times are the indicator calls alone inside the per-symbol loop (no read, no write).",
        "",
        "## Reference pipelines in detail",
        "",
        *reference_details(sizes),
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
         + ". Every other model is rebuilt in full by the daily run, so the daily time is close to the "
           "full build time until the models become incremental."),
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
        daily = _ok(size.get("incremental"))
        parts = [f"{size['label']}: full build {_build_cell(size.get('full'))} s, "
                 f"daily {_build_cell(size.get('incremental'))} s"]
        for tool in ("talib_pandas", "vectorbt"):
            total, compute = _phase(size, tool, "total"), _phase(size, tool, "compute")
            if total:
                parts.append(f"ours/{tool} total {_ratio(ours, total)}, compute {_ratio(ours, compute)}")
        indicators = _node_seconds(size.get("full"), INDICATOR_MODEL)
        if indicators is not None:
            parts.append(f"indicators/talib {_ratio(indicators, _phase(size, 'talib_pandas', 'indicators'))}")
        path = _node_seconds(size.get("full"), PATH_MODEL)
        if path is not None:
            parts.append(f"path_indicators/SAR {_ratio(path, _phase(size, 'talib_sar', 'compute'))}")
        if daily:
            parts.append(f"daily per symbol {1000 * daily / size['symbols']:.1f} ms")
        out.append("; ".join(parts))
    return "\n".join(out)
