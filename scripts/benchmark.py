"""`make bench`: how fast and how big the warehouse pipeline runs, next to the Python tools users would pick.

Every tier runs in a fresh DuckDB file holding a deterministic synthetic universe (Universe of
strategy_engine/synthetic.py),
with the default strategies of dbt_project.yml (every enabled one), and every dbt or runner step is
a measured child process (bench_process.py: wall, peak RSS of the process tree, per-node times):

  fixed cost  3 symbols x 2 years: full `dbt build`, then two daily jobs (below);
  each size   full `dbt build` from empty; the references on the same data (bench_reference.py:
              TA-Lib + pandas, TA-Lib SAR, vectorbt); then two daily jobs: one new session for
              every symbol written as CSV and loaded with `strategy-engine load`, then
              `strategy-engine run --date <session> --force --skip-validation` (everything the job
              builds and tests), with the "signals ready" figure;
  history     with --history-check, the first size again with twice the years (daily jobs only
              compared: doubling the history should change the daily job by at most 20%);
  sweep       one SMA-crossover strategy over a 10 x 10 grid (bench_sweep.py) from an empty
              warehouse to every set's `performance` rows, and vectorbt over the same grid in
              its own child process.
Writes docs/BENCHMARKS.md (re-rendered after every step, so an interrupted run keeps its rows)
and the raw figures as JSON in the work directory.

    python scripts/benchmark.py                         # 250x10y and 2000x20y, fixed cost, sweep
    python scripts/benchmark.py --sizes 50x5 --skip-sweep --skip-reference   # a quick look
    python scripts/benchmark.py --include-5000 --history-check --deadline 06:00
DuckDB settings come from the profile's environment variables: SE_DUCKDB_THREADS,
SE_DUCKDB_MEMORY_LIMIT; DuckDB spills to its default `<warehouse file>.tmp`, inside each tier's
directory (profiles/profiles.yml says why temp_directory is not set there).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_reference  # noqa: E402
import bench_report  # noqa: E402
import bench_sweep  # noqa: E402
from bench_process import Measured, nodes_from_lines, run_measured  # noqa: E402

from strategy_engine.ops import default_ops_path  # noqa: E402
from strategy_engine.synthetic import Universe, write_session_csv, write_universe  # noqa: E402
from strategy_engine.warehouse import connect, ensure_source_tables  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = ("250x10", "2000x20")
LARGEST_SIZE = "5000x20"
FIXED_COST_SIZE = "3x2"
SWEEP_SIZE = "250x10"
DAILY_RUNS = 2
SEED_SYSTEM_SECONDS_PER_SYMBOL = 0.2
# the models whose completion means "signals ready": the signals mart and the alert digest
SIGNAL_MODELS = ("signals", "daily_signal_digest")
UNDER_LOAD_ABOVE = 1.0


@dataclass
class Step:
    """One measured child process (a dbt build, a load, a daily job, vectorbt)."""

    command: str
    wall_seconds: float
    peak_rss_bytes: int
    success: bool
    timed_out: bool
    nodes: list[dict] = field(default_factory=list)
    incremental_models: list[str] = field(default_factory=list)
    error_tail: str = ""


@dataclass
class DailyRun:
    day: str
    load: Step | None = None
    job: Step | None = None
    signals_ready: dict = field(default_factory=dict)
    ops_run: dict = field(default_factory=dict)


@dataclass
class SizeResult:
    label: str
    symbols: int
    years: int
    rows: int
    tier: str = "size"  # size | history | fixed_cost
    generate_seconds: float = 0.0
    full: Step | None = None
    daily: list[DailyRun] = field(default_factory=list)
    reference: dict[str, dict] = field(default_factory=dict)
    reference_errors: dict[str, str] = field(default_factory=dict)
    measured_at: str = ""
    commit: str = ""
    load_average: list[float] = field(default_factory=list)


@dataclass
class SweepResult:
    label: str
    symbols: int
    years: int
    rows: int
    parameter_sets: int
    grid: dict = field(default_factory=dict)
    generate_seconds: float = 0.0
    ours: Step | None = None
    performance_param_sets: int = 0
    vectorbt: Step | None = None
    vectorbt_timings: dict = field(default_factory=dict)
    vectorbt_error: str = ""
    measured_at: str = ""
    commit: str = ""
    load_average: list[float] = field(default_factory=list)


def executable(name: str) -> str:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else name


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def step_from(measured: Measured, command: list[str], nodes: list[dict]) -> Step:
    step = Step(command=" ".join(Path(command[0]).name if i == 0 else part for i, part in enumerate(command)),
                wall_seconds=measured.wall_seconds, peak_rss_bytes=measured.peak_rss_bytes,
                success=measured.success, timed_out=measured.timed_out, nodes=nodes)
    if not measured.success:
        step.error_tail = measured.tail()
    return step


def parse_run_results(run_results: dict, manifest: dict) -> list[dict]:
    nodes = manifest.get("nodes", {})
    parsed = []
    for result in run_results.get("results", []):
        node = nodes.get(result["unique_id"], {})
        parsed.append({
            "unique_id": result["unique_id"],
            "name": result["unique_id"].split(".")[-1] if not node else node.get("name", ""),
            "resource_type": result["unique_id"].split(".")[0],
            "materialized": node.get("config", {}).get("materialized", ""),
            "language": node.get("language", "sql"),
            "status": result.get("status"),
            "seconds": float(result.get("execution_time") or 0.0),
        })
    return parsed


def _read_json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def run_dbt_step(args: list[str], env: dict[str, str], target_path: Path, timeout: float, label: str) -> Step:
    """`dbt <args>` as a child process; node timings from run_results.json (from its console
    lines when it was stopped before writing them)."""
    # No --target: env SE_TARGET picks it, as for a user's plain `dbt build` (and the same
    # partial-parse key as the daily job, which starts from this build's parse).
    command = [executable("dbt"), *args, "--project-dir", str(PROJECT_DIR),
               "--profiles-dir", str(PROJECT_DIR / "profiles"), "--target-path", str(target_path)]
    results_file = target_path / "run_results.json"
    results_file.unlink(missing_ok=True)
    measured = run_measured(command, env, PROJECT_DIR, timeout, label)
    run_results = _read_json(results_file) if not measured.timed_out else {}
    if run_results:
        nodes = parse_run_results(run_results, _read_json(target_path / "manifest.json"))
    else:
        nodes = nodes_from_lines(measured)
    step = step_from(measured, command, nodes)
    step.incremental_models = sorted(n["name"] for n in nodes if n["materialized"] == "incremental")
    return step


def signal_path(manifest: dict) -> set[str]:
    """Names of the models and seeds the signals mart and the digest are built from (themselves included)."""
    parents = manifest.get("parent_map", {})
    ids = {uid for uid, node in manifest.get("nodes", {}).items()
           if node.get("resource_type") == "model" and node.get("name") in SIGNAL_MODELS}
    seen: set[str] = set()
    pending = list(ids)
    while pending:
        uid = pending.pop()
        if uid in seen:
            continue
        seen.add(uid)
        pending.extend(parents.get(uid, []))
    return {uid.split(".")[-1] for uid in seen if uid.split(".")[0] in {"model", "seed", "snapshot"}}


READY_LINE = re.compile(r"signals?[ _-]ready\D*?([\d.]+)\s*s\b", re.IGNORECASE)
WAREHOUSE_PART = re.compile(r"(?:warehouse|node time)\D*?([\d.]+)\s*s\b", re.IGNORECASE)


def reported_signals_ready(measured: Measured) -> dict:
    """What the runner itself says about signals ready: a console line, or a JSON log event."""
    reported: dict = {}
    for _, stream, line in measured.lines:
        if stream == "stdout" and (match := READY_LINE.search(line)):
            reported["console_line"] = line.strip()
            reported["console_seconds"] = float(match.group(1))
            if warehouse := WAREHOUSE_PART.search(line[match.end():]):
                reported["console_warehouse_seconds"] = float(warehouse.group(1))
        if stream == "stderr" and "signals_ready" in line:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            reported["log_event"] = {k: v for k, v in event.items() if k not in {"ts", "logger", "level"}}
    return reported


def computed_signals_ready(nodes: list[dict], path: set[str]) -> dict:
    """From the job's own node lines: when signals and the digest were done (seconds since the
    job started, so process start, parsing and validation count), and the warehouse time of
    the signal path's models and seeds."""
    done = [n["done_at"] for n in nodes if n["resource_type"] == "model" and n["name"] in SIGNAL_MODELS]
    path_nodes = [n for n in nodes if n["resource_type"] in {"model", "seed", "snapshot"} and n["name"] in path]
    if not done:
        return {}
    return {"wall_seconds": max(done),
            "warehouse_seconds": round(sum(n["seconds"] for n in path_nodes), 3),
            "path_nodes": len(path_nodes),
            "models_seen": sorted({n["name"] for n in nodes if n["name"] in SIGNAL_MODELS})}


def latest_ops_run(ops_store: Path) -> dict:
    """The job's own record in ops.runs (status, message, how many model timings; any column
    about signals, which the runner may add)."""
    try:
        with duckdb.connect(str(ops_store), read_only=True) as con:
            cursor = con.execute("select * from ops.runs where command = 'run' order by started_at desc limit 1")
            columns = [d[0] for d in cursor.description]
            row = cursor.fetchone()
    except duckdb.Error as error:
        return {"error": str(error)[:300]}
    if row is None:
        return {}
    record = dict(zip(columns, row, strict=True))
    kept = {key: str(record.get(key)) for key in ("run_id", "status", "message", "started_at", "finished_at")}
    try:
        kept["model_timings"] = len(json.loads(record.get("model_timings") or "{}"))
    except ValueError:
        kept["model_timings"] = "unreadable"
    kept.update({key: str(value) for key, value in record.items() if "signal" in key.lower()})
    return kept


def daily_job(universe: Universe, number: int, size_dir: Path, env: dict[str, str], timeout: float) -> DailyRun:
    """One session for every symbol, loaded as a user would, then the whole daily job."""
    database = Path(env["SE_DUCKDB_PATH"])
    csv_file = size_dir / f"session_{number}.csv"
    with connect(database) as con:
        day = write_session_csv(con, universe, number, csv_file)
    run = DailyRun(day=day.date().isoformat())
    load_command = [executable("strategy-engine"), "load", str(csv_file)]
    print(f"[{universe.label}] daily run {number}: load {run.day} ...", flush=True)
    run.load = step_from(run_measured(load_command, env, PROJECT_DIR, timeout, "load"), load_command, [])
    if not run.load.success:
        print(run.load.error_tail, flush=True)
        return run
    job_command = [executable("strategy-engine"), "run", "--date", run.day, "--force", "--skip-validation"]
    print(f"[{universe.label}] daily run {number}: strategy-engine run --date {run.day} ...", flush=True)
    measured = run_measured(job_command, env, PROJECT_DIR, timeout, "daily job")
    nodes = nodes_from_lines(measured)
    manifest = _read_json(Path(env["DBT_TARGET_PATH"]) / "manifest.json")
    materialized = {node.get("name"): node.get("config", {}).get("materialized", "")
                    for node in manifest.get("nodes", {}).values() if node.get("resource_type") == "model"}
    for node in nodes:
        node["materialized"] = {"model": materialized.get(node["name"], ""), "seed": "seed"}.get(
            node["resource_type"], "")
    run.job = step_from(measured, job_command, nodes)
    run.job.incremental_models = sorted(n["name"] for n in nodes if n["materialized"] == "incremental")
    run.signals_ready = {"reported": reported_signals_ready(measured),
                         "computed": computed_signals_ready(nodes, signal_path(manifest))}
    run.ops_run = latest_ops_run(default_ops_path(database))
    ready = run.signals_ready["computed"].get("wall_seconds")
    print(f"  load {run.load.wall_seconds:.1f} s; job {run.job.wall_seconds:.1f} s, peak "
          f"{run.job.peak_rss_bytes / 2**20:.0f} MiB, success={run.job.success}, {len(nodes)} nodes, "
          f"signals ready at {ready if ready is not None else 'n/a'} s", flush=True)
    if not run.job.success:
        print(run.job.error_tail, flush=True)
    return run


def duckdb_settings(env: dict[str, str], scratch: Path) -> dict[str, str]:
    """The settings dbt-duckdb actually applies, read back through `dbt show` (not the profile text)."""
    query = ("select current_setting('threads') as threads, current_setting('memory_limit') as memory_limit, "
             "current_setting('temp_directory') as temp_directory, "
             "current_setting('preserve_insertion_order') as preserve_insertion_order")
    command = [executable("dbt"), "show", "--inline", query, "--output", "json", "--quiet",
               "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR / "profiles"),
               "--target", "local", "--target-path", str(scratch / "target_show")]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, cwd=PROJECT_DIR, timeout=300)
    try:
        row = json.loads(completed.stdout)["show"][0]
    except (ValueError, KeyError, IndexError):
        return {"error": (completed.stdout + completed.stderr)[-500:]}
    return {key: str(value) for key, value in row.items()}


def parse_size(text: str) -> Universe:
    symbols, _, years = text.lower().rstrip("y").partition("x")
    return Universe(symbols=int(symbols), years=int(years))


def warehouse_env(size_dir: Path) -> dict[str, str]:
    """A tier's own warehouse, dbt target and log directories, outbox, and no alert channels."""
    env = dict(os.environ)
    env["SE_DUCKDB_PATH"] = str(size_dir / "wh.duckdb")
    env["SE_TARGET"] = "local"
    # one target path for the tier's full build and its daily jobs, as a user's project has
    env["DBT_TARGET_PATH"] = str(size_dir / "target")
    env["DBT_LOG_PATH"] = str(size_dir / "logs")
    env["SE_OUTBOX_DIR"] = str(size_dir / "outbox")
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"
    env["PYTHONUNBUFFERED"] = "1"
    env.pop("SE_ALERT_URLS", None)
    env.pop("SE_OPS_DUCKDB_PATH", None)
    return env


REFERENCE_RESERVE_SECONDS = 240.0


def run_reference(result: SizeResult, database: Path, skip_vectorbt: bool,
                  time_left: Callable[[], float] = lambda: float("inf")) -> None:
    """The references, cheapest first; one is not started when less than the reserve is left
    before the deadline (they run in this process and cannot be stopped half-way)."""
    runners: list[tuple[str, Callable]] = [("talib_sar", bench_reference.run_talib_sar),
                                           ("talib_pandas", bench_reference.run_talib_pandas)]
    if skip_vectorbt:
        result.reference_errors["vectorbt"] = "skipped (--skip-vectorbt)"
    elif missing := bench_reference.vectorbt_available():
        result.reference_errors["vectorbt"] = f"not installed: {missing}"
    else:
        runners.append(("vectorbt", bench_reference.run_vectorbt))
    with connect(database) as con:
        for name, runner in runners:
            if time_left() < REFERENCE_RESERVE_SECONDS:
                result.reference_errors[name] = "not run: the run's --deadline was too close"
                continue
            started = time.perf_counter()
            print(f"  reference {name} ...", flush=True)
            try:
                result.reference[name] = runner(con).as_dict()
            except Exception as error:  # noqa: BLE001 - a failing reference must not lose our figures
                result.reference_errors[name] = f"{type(error).__name__}: {error}"
            print(f"    {time.perf_counter() - started:.1f} s", flush=True)


@dataclass
class Plan:
    """What every tier shares: limits, the deadline, where results go."""

    workdir: Path
    timeout: float
    checkpoint: Callable[[], None]
    deadline: datetime | None = None
    skip_reference: bool = False
    skip_vectorbt: bool = False
    daily_runs: int = DAILY_RUNS

    def seconds_left(self, timeout: float | None = None) -> float:
        """The time a step may take: the per-step timeout, cut short by the run's deadline."""
        allowed = self.timeout if timeout is None else timeout
        if self.deadline is None:
            return allowed
        return min(allowed, (self.deadline - datetime.now(UTC)).total_seconds())


def fresh_warehouse(universe: Universe, tier_dir: Path) -> tuple[dict[str, str], int, float]:
    shutil.rmtree(tier_dir, ignore_errors=True)
    tier_dir.mkdir(parents=True)
    env = warehouse_env(tier_dir)
    started = time.perf_counter()
    with connect(Path(env["SE_DUCKDB_PATH"])) as con:
        ensure_source_tables(con)
        rows = write_universe(con, universe)
    return env, rows, time.perf_counter() - started


def bench_size(universe: Universe, plan: Plan, tier: str, record: Callable[[SizeResult], None],
               with_reference: bool) -> SizeResult:
    """Full build, daily jobs, references; record(result) after every step."""
    tier_dir = plan.workdir / (universe.label if tier == "size" else f"{tier}_{universe.label}")
    result = SizeResult(label=universe.label, symbols=universe.symbols, years=universe.years, rows=universe.rows,
                        tier=tier, measured_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
                        commit=git_commit(), load_average=load_average())
    started = time.perf_counter()
    print(f"[{universe.label}] {tier}: generating {universe.rows:,} rows (load average {result.load_average}) ...",
          flush=True)
    env, result.rows, result.generate_seconds = fresh_warehouse(universe, tier_dir)

    print(f"[{universe.label}] full dbt build ...", flush=True)
    result.full = run_dbt_step(["build"], env, Path(env["DBT_TARGET_PATH"]), plan.seconds_left(), "full build")
    print(f"  {result.full.wall_seconds:.1f} s, peak {result.full.peak_rss_bytes / 2**20:.0f} MiB, "
          f"success={result.full.success} ({time.perf_counter() - started:.0f} s into this tier)", flush=True)
    if not result.full.success:
        print(result.full.error_tail, flush=True)
    record(result)

    for number in range(1, plan.daily_runs + 1):
        if not result.full.success or plan.seconds_left() <= 0:
            break
        if result.daily and not (result.daily[-1].job and result.daily[-1].job.success):
            break
        result.daily.append(daily_job(universe, number, tier_dir, env, plan.seconds_left()))
        print(f"  ({time.perf_counter() - started:.0f} s into this tier)", flush=True)
        record(result)
    # The references run last, on the same data as the last daily job (a new session or two more
    # than the full build), even when our build failed: their figures stand alone. Run between the
    # full build and the daily jobs, vectorbt (8.9 GiB at 250x10y) evicted the warehouse from the
    # page cache, so the tiers with references measured their daily jobs cold and the others
    # warm: at 250x10y 14.6 / 12.8 s against 11.2 / 11.4 s at 250x20y without references
    # (make bench, 2026-12-07 15:07 UTC).
    if with_reference and not plan.skip_reference and plan.seconds_left() > 0:
        run_reference(result, Path(env["SE_DUCKDB_PATH"]), plan.skip_vectorbt,
                      lambda: plan.seconds_left(float("inf")))
        record(result)
    return result


def bench_sweep_tier(universe: Universe, plan: Plan, record: Callable[[SweepResult], None]) -> SweepResult:
    """Our sweep build from empty, then vectorbt over the same grid, each a measured child process."""
    tier_dir = plan.workdir / f"sweep_{universe.label}"
    result = SweepResult(label=universe.label, symbols=universe.symbols, years=universe.years, rows=universe.rows,
                         parameter_sets=bench_sweep.parameter_sets(),
                         grid={"fast": bench_sweep.FAST_PERIODS, "slow": bench_sweep.SLOW_PERIODS},
                         measured_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), commit=git_commit(),
                         load_average=load_average())
    print(f"[{universe.label}] sweep of {result.parameter_sets} parameter sets (load average "
          f"{result.load_average}) ...", flush=True)
    env, result.rows, result.generate_seconds = fresh_warehouse(universe, tier_dir)
    database = Path(env["SE_DUCKDB_PATH"])
    # cautious: only the data tests of the selected models (eager would add relationship tests
    # against models outside +performance, such as strategy_param_sets, which do not exist here)
    result.ours = run_dbt_step(["build", "--select", "+performance", "--indirect-selection", "cautious",
                                "--vars", json.dumps(bench_sweep.sweep_vars())],
                               env, Path(env["DBT_TARGET_PATH"]), plan.seconds_left(), "sweep build")
    result.performance_param_sets = bench_sweep.performance_param_sets(database)
    print(f"  ours {result.ours.wall_seconds:.1f} s, peak {result.ours.peak_rss_bytes / 2**20:.0f} MiB, "
          f"success={result.ours.success}, {result.performance_param_sets} sets in performance", flush=True)
    if not result.ours.success:
        print(result.ours.error_tail, flush=True)
    record(result)
    if plan.skip_vectorbt or plan.seconds_left() <= 0:
        result.vectorbt_error = "skipped (--skip-vectorbt or the deadline)"
    elif missing := bench_reference.vectorbt_available():
        result.vectorbt_error = f"not installed: {missing}"
    else:
        out = tier_dir / "vectorbt_sweep.json"
        command = [sys.executable, str(Path(__file__).resolve().parent / "bench_sweep.py"),
                   "--database", str(database), "--out", str(out)]
        print(f"[{universe.label}] sweep: vectorbt ...", flush=True)
        result.vectorbt = step_from(run_measured(command, env, PROJECT_DIR, plan.seconds_left(), "vectorbt sweep"),
                                    command, [])
        result.vectorbt_timings = _read_json(out)
        if not result.vectorbt.success:
            result.vectorbt_error = result.vectorbt.error_tail[-500:]
        print(f"  vectorbt {result.vectorbt.wall_seconds:.1f} s, peak "
              f"{result.vectorbt.peak_rss_bytes / 2**20:.0f} MiB, timings {result.vectorbt_timings}", flush=True)
    record(result)
    return result


def git_commit() -> str:
    completed = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                               cwd=PROJECT_DIR)
    return completed.stdout.strip()


def machine_facts() -> dict:
    from importlib.metadata import version

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt": f"dbt-core {version('dbt-core')}, dbt-duckdb {version('dbt-duckdb')}",
        "load_average_at_start": load_average(),
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def history_universe(universe: Universe) -> Universe:
    return Universe(symbols=universe.symbols, years=2 * universe.years, seed=universe.seed)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(DEFAULT_SIZES),
                        help="comma-separated SYMBOLSxYEARS, e.g. 50x5,250x10; '' for none (default: %(default)s)")
    parser.add_argument("--include-5000", action="store_true", help=f"also run {LARGEST_SIZE}")
    parser.add_argument("--history-check", action="store_true",
                        help="also run the first size with twice the years: its daily job against the first's")
    parser.add_argument("--fixed-cost-size", default=FIXED_COST_SIZE, help="the fixed-cost tier (default: %(default)s)")
    parser.add_argument("--skip-fixed-cost", action="store_true")
    parser.add_argument("--sweep-size", default=SWEEP_SIZE, help="the sweep tier's universe (default: %(default)s)")
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--daily-runs", type=int, default=DAILY_RUNS, help="daily jobs per size (default: %(default)s)")
    parser.add_argument("--workdir", type=Path, default=PROJECT_DIR / "target" / "bench",
                        help="where the warehouses and raw results go (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per step (child process)")
    parser.add_argument("--deadline", metavar="HH:MM",
                        help="UTC time after which no step starts and running steps are stopped")
    parser.add_argument("--skip-reference", action="store_true", help="measure only our builds and jobs")
    parser.add_argument("--skip-vectorbt", action="store_true")
    parser.add_argument("--docs", type=Path, default=PROJECT_DIR / "docs" / "BENCHMARKS.md",
                        help="markdown report to write; '-' to skip (default: %(default)s)")
    parser.add_argument("--keep-results", action="store_true",
                        help="keep the other tiers of an earlier run's results.json in the report")
    parser.add_argument("--note", action="append", default=[], help="a line for the report's notes (repeatable)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.include_5000 and LARGEST_SIZE not in sizes:
        sizes.append(LARGEST_SIZE)
    universes = [parse_size(s) for s in sizes]
    args.workdir.mkdir(parents=True, exist_ok=True)
    run_started = time.perf_counter()

    facts = machine_facts()
    settings = duckdb_settings(warehouse_env(args.workdir / "settings_check"), args.workdir / "settings_check")
    print(f"machine: {facts['cpu_count']} cores, {facts['memory_gib']} GiB, load average "
          f"{facts['load_average_at_start']}; DuckDB settings seen by dbt: {settings}", flush=True)
    results_file = args.workdir / "results.json"
    earlier: dict = _read_json(results_file) if args.keep_results else {}
    measured: dict[str, dict] = {}
    sweeps: dict[str, dict] = {}

    def write_report() -> None:
        kept = [size for size in earlier.get("sizes", []) if f"{size.get('tier', 'size')}:{size['label']}"
                not in measured]
        sizes_now = sorted([*kept, *measured.values()],
                           key=lambda size: (size.get("tier", "size"), size["symbols"], size["years"]))
        sweeps_now = list(sweeps.values()) or earlier.get("sweeps", [])
        raw = {"machine": facts, "duckdb_settings": settings, "notes": args.note, "sizes": sizes_now,
               "sweeps": sweeps_now, "elapsed_seconds": round(time.perf_counter() - run_started, 1)}
        results_file.write_text(json.dumps(raw, indent=2, default=str))
        if str(args.docs) != "-":
            args.docs.parent.mkdir(parents=True, exist_ok=True)
            args.docs.write_text(bench_report.render(raw, SEED_SYSTEM_SECONDS_PER_SYMBOL,
                                                     bench_report.kept_findings(args.docs)))

    def record_size(result: SizeResult) -> None:
        measured[f"{result.tier}:{result.label}"] = asdict(result)
        write_report()

    def record_sweep(result: SweepResult) -> None:
        sweeps[result.label] = asdict(result)
        write_report()

    deadline = None
    if args.deadline:
        hour, minute = (int(part) for part in args.deadline.split(":"))
        deadline = datetime.now(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    plan = Plan(workdir=args.workdir, timeout=args.timeout, checkpoint=write_report, deadline=deadline,
                skip_reference=args.skip_reference, skip_vectorbt=args.skip_vectorbt, daily_runs=args.daily_runs)

    tiers: list[tuple[Universe, str, bool]] = []
    if not args.skip_fixed_cost:
        tiers.append((parse_size(args.fixed_cost_size), "fixed_cost", False))
    for number, universe in enumerate(universes):
        tiers.append((universe, "size", True))
        if args.history_check and number == 0:
            tiers.append((history_universe(universe), "history", False))
    results = []
    for universe, tier, with_reference in tiers:
        if plan.seconds_left() <= 0:
            print(f"[{universe.label}] {tier}: not started, the deadline has passed", flush=True)
            continue
        results.append(bench_size(universe, plan, tier, record_size, with_reference))
        print(f"--- {time.perf_counter() - run_started:.0f} s since the run started", flush=True)
    sweep_ok = True
    if not args.skip_sweep and plan.seconds_left() > 0:
        sweep = bench_sweep_tier(parse_size(args.sweep_size), plan, record_sweep)
        sweep_ok = bool(sweep.ours and sweep.ours.success)
    write_report()
    print(bench_report.summary_lines(json.loads(results_file.read_text())), flush=True)
    return 0 if sweep_ok and all(r.full and r.full.success for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
