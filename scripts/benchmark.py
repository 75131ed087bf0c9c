"""`make bench`: how fast and how big the warehouse pipeline runs, next to the Python tools users would pick.

For each synthetic universe (deterministic, see bench_synthetic.py) in a fresh DuckDB file:
  1. full `dbt build` as a subprocess: wall time, peak RSS of the process tree (psutil sampling),
     each node's warehouse time from run_results.json;
  2. the reference pipeline on the same data (bench_reference.py): TA-Lib per symbol + pandas,
     TA-Lib SAR per symbol, and vectorbt; compute alone and the whole read-compute-write path;
  3. one new day appended, then `dbt build` again: the daily incremental run.
Writes docs/BENCHMARKS.md (re-rendered after every size, so an interrupted run keeps its rows) and
the raw figures as JSON in the work directory.

    python scripts/benchmark.py                       # 50x5y, 250x10y, 2000x20y
    python scripts/benchmark.py --sizes 50x5 --include-5000 --timeout 1800
DuckDB settings come from the profile's environment variables: SE_DUCKDB_THREADS,
SE_DUCKDB_MEMORY_LIMIT; DuckDB spills to its default `<warehouse file>.tmp`, inside each size's
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
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench_reference  # noqa: E402
import bench_report  # noqa: E402
from bench_synthetic import Universe, append_next_day, write_universe  # noqa: E402

from strategy_engine.warehouse import connect, ensure_source_tables  # noqa: E402

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_SIZES = ("50x5", "250x10", "2000x20")
LARGEST_SIZE = "5000x20"
SEED_SYSTEM_SECONDS_PER_SYMBOL = 0.2


@dataclass
class DbtRun:
    wall_seconds: float
    peak_rss_bytes: int
    success: bool
    timed_out: bool
    nodes: list[dict] = field(default_factory=list)
    incremental_models: list[str] = field(default_factory=list)
    error_tail: str = ""


@dataclass
class SizeResult:
    label: str
    symbols: int
    years: int
    rows: int
    generate_seconds: float = 0.0
    full: DbtRun | None = None
    incremental: DbtRun | None = None
    reference: dict[str, dict] = field(default_factory=dict)
    reference_errors: dict[str, str] = field(default_factory=dict)
    measured_at: str = ""
    commit: str = ""
    load_average: list[float] = field(default_factory=list)


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


# The reference pipelines compute the four production strategies of issue 4, so by default our
# build is measured with the same four (the project's default config adds a grid and stop variants).
REFERENCE_STRATEGIES = ("sma_crossover", "rsi_mean_reversion", "macd_momentum", "bollinger_reversion")


def benchmark_vars(all_strategies: bool) -> list[str]:
    """`--vars` restricting the build to the reference's strategies, unless all are wanted."""
    if all_strategies:
        return []
    import yaml

    declared = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]["strategies"]
    chosen = [strategy for strategy in declared if strategy["id"] in REFERENCE_STRATEGIES]
    return ["--vars", json.dumps({"strategies": chosen})]


NODE_LINE = re.compile(
    r"\d+ of \d+ (OK|PASS|WARN|ERROR|FAIL)\b.*? (?:model|seed file|test) ([\w.]+) .*? in ([\d.]+)s\]"
)


def nodes_from_log(output: list[str]) -> list[dict]:
    """Node timings from dbt's console lines, for a build killed before it wrote run_results.json."""
    parsed = []
    for line in output:
        if match := NODE_LINE.search(line):
            status, name, seconds = match.groups()
            parsed.append({"unique_id": name, "name": name.split(".")[-1], "resource_type": "model",
                           "materialized": "(from the log)", "language": "", "status": status.lower(),
                           "seconds": float(seconds)})
    return parsed


def run_dbt_measured(args: list[str], env: dict[str, str], target_path: Path, log_path: Path,
                     timeout: float) -> DbtRun:
    """Run `dbt <args>` as a child process; wall time, peak RSS of its process tree, node timings."""
    command = [dbt_executable(), *args, "--project-dir", str(PROJECT_DIR),
               "--profiles-dir", str(PROJECT_DIR / "profiles"), "--target", "local",
               "--target-path", str(target_path), "--log-path", str(log_path)]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                             cwd=PROJECT_DIR)
    peak = 0
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(child.stdout), daemon=True)
    reader.start()
    watched = psutil.Process(child.pid)
    timed_out = False
    while child.poll() is None:
        try:
            peak = max(peak, tree_rss(watched))
        except psutil.NoSuchProcess:
            break
        if time.perf_counter() - started > timeout:
            timed_out = True
            for member in [*watched.children(recursive=True), watched]:
                member.kill()
            break
        time.sleep(0.05)
    child.wait()
    wall = time.perf_counter() - started
    reader.join(timeout=5)
    run = DbtRun(wall_seconds=wall, peak_rss_bytes=peak, success=child.returncode == 0 and not timed_out,
                 timed_out=timed_out)
    if not run.success:
        run.error_tail = "".join(output[-15:])
    results_file = target_path / "run_results.json"
    manifest_file = target_path / "manifest.json"
    if results_file.exists() and not timed_out:
        run.nodes = parse_run_results(json.loads(results_file.read_text()),
                                      json.loads(manifest_file.read_text()) if manifest_file.exists() else {})
        run.incremental_models = sorted(n["name"] for n in run.nodes if n["materialized"] == "incremental")
    else:
        run.nodes = nodes_from_log(output)
    return run


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


def duckdb_settings(env: dict[str, str], scratch: Path) -> dict[str, str]:
    """The settings dbt-duckdb actually applies, read back through `dbt show` (not the profile text)."""
    query = ("select current_setting('threads') as threads, current_setting('memory_limit') as memory_limit, "
             "current_setting('temp_directory') as temp_directory, "
             "current_setting('preserve_insertion_order') as preserve_insertion_order")
    command = [dbt_executable(), "show", "--inline", query, "--output", "json", "--quiet",
               "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR / "profiles"),
               "--target", "local", "--target-path", str(scratch / "target_show"),
               "--log-path", str(scratch / "logs_show")]
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
    env = dict(os.environ)
    env["SE_DUCKDB_PATH"] = str(size_dir / "wh.duckdb")
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "False"
    env.pop("DBT_TARGET_PATH", None)
    env.pop("DBT_LOG_PATH", None)
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
            print(f"  reference {name} ...", flush=True)
            try:
                result.reference[name] = runner(con).as_dict()
            except Exception as error:  # noqa: BLE001 - a failing reference must not lose our figures
                result.reference_errors[name] = f"{type(error).__name__}: {error}"


def seconds_left(deadline: datetime | None, timeout: float) -> float:
    """The time a phase may take: the per-build timeout, cut short by the run's deadline."""
    if deadline is None:
        return timeout
    return min(timeout, (deadline - datetime.now(UTC)).total_seconds())


def bench_size(universe: Universe, workdir: Path, timeout: float, skip_reference: bool,
               skip_vectorbt: bool, checkpoint: Callable[[SizeResult], None],
               deadline: datetime | None = None, dbt_vars: list[str] | None = None) -> SizeResult:
    """Measure one size; checkpoint(result) after every phase so an interrupted run keeps its figures."""
    size_dir = workdir / universe.label
    shutil.rmtree(size_dir, ignore_errors=True)
    size_dir.mkdir(parents=True)
    env = warehouse_env(size_dir)
    database = Path(env["SE_DUCKDB_PATH"])
    result = SizeResult(label=universe.label, symbols=universe.symbols, years=universe.years, rows=universe.rows,
                        measured_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"), commit=git_commit(),
                        load_average=[round(x, 2) for x in os.getloadavg()])

    print(f"[{universe.label}] generating {universe.rows:,} rows ...", flush=True)
    started = time.perf_counter()
    with connect(database) as con:
        ensure_source_tables(con)
        result.rows = write_universe(con, universe)
    result.generate_seconds = time.perf_counter() - started

    print(f"[{universe.label}] full dbt build ...", flush=True)
    result.full = run_dbt_measured(["build", *(dbt_vars or [])], env, size_dir / "target_full", size_dir / "logs",
                                   seconds_left(deadline, timeout))
    print(f"  {result.full.wall_seconds:.1f} s, peak {result.full.peak_rss_bytes / 2**20:.0f} MiB, "
          f"success={result.full.success}", flush=True)
    if not result.full.success:
        print(result.full.error_tail, flush=True)
    checkpoint(result)

    # the references run on the same data even when our build failed: their figures stand alone
    if not skip_reference and seconds_left(deadline, timeout) > 0:
        run_reference(result, database, skip_vectorbt, lambda: seconds_left(deadline, float("inf")))
        checkpoint(result)
    if not result.full.success or seconds_left(deadline, timeout) <= 0:
        return result

    with connect(database) as con:
        day = append_next_day(con, universe)
    print(f"[{universe.label}] incremental dbt build after appending {day.date()} ...", flush=True)
    result.incremental = run_dbt_measured(["build", *(dbt_vars or [])], env, size_dir / "target_incremental",
                                          size_dir / "logs", seconds_left(deadline, timeout))
    print(f"  {result.incremental.wall_seconds:.1f} s, success={result.incremental.success}", flush=True)
    checkpoint(result)
    return result


def git_commit() -> str:
    completed = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                               cwd=PROJECT_DIR)
    return completed.stdout.strip()


def machine_facts() -> dict:
    from importlib.metadata import version

    import duckdb

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "dbt": f"dbt-core {version('dbt-core')}, dbt-duckdb {version('dbt-duckdb')}",
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(DEFAULT_SIZES),
                        help="comma-separated SYMBOLSxYEARS, e.g. 50x5,250x10 (default: %(default)s)")
    parser.add_argument("--include-5000", action="store_true", help=f"also run {LARGEST_SIZE}")
    parser.add_argument("--workdir", type=Path, default=PROJECT_DIR / "target" / "bench",
                        help="where the warehouses and raw results go (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds allowed per dbt build")
    parser.add_argument("--deadline", metavar="HH:MM",
                        help="UTC time after which no phase starts and running builds are stopped")
    parser.add_argument("--skip-reference", action="store_true", help="measure only the dbt builds")
    parser.add_argument("--skip-vectorbt", action="store_true")
    parser.add_argument("--all-strategies", action="store_true",
                        help="build every enabled strategy of dbt_project.yml (default: only the four the "
                             "reference pipelines compute)")
    parser.add_argument("--docs", type=Path, default=PROJECT_DIR / "docs" / "BENCHMARKS.md",
                        help="markdown report to write; '-' to skip (default: %(default)s)")
    parser.add_argument("--keep-results", action="store_true",
                        help="keep the other sizes of an earlier run's results.json in the report")
    parser.add_argument("--note", action="append", default=[], help="a line for the report's notes (repeatable)")
    args = parser.parse_args(argv)

    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    if args.include_5000 and LARGEST_SIZE not in sizes:
        sizes.append(LARGEST_SIZE)
    universes = [parse_size(s) for s in sizes]
    args.workdir.mkdir(parents=True, exist_ok=True)

    facts = machine_facts()
    scratch_env = warehouse_env(args.workdir / "settings_check")
    settings = duckdb_settings(scratch_env, args.workdir / "settings_check")
    print(f"machine: {facts['cpu_count']} cores, {facts['memory_gib']} GiB; DuckDB settings seen by dbt: {settings}")
    results_file = args.workdir / "results.json"
    earlier: list[dict] = []
    if args.keep_results and results_file.exists():
        earlier = json.loads(results_file.read_text()).get("sizes", [])
    measured: dict[str, dict] = {}

    def checkpoint(result: SizeResult) -> None:
        measured[result.label] = asdict(result)
        kept = [size for size in earlier if size["label"] not in measured]
        sizes_now = sorted([*kept, *measured.values()], key=lambda size: (size["symbols"], size["years"]))
        raw = {"machine": facts, "duckdb_settings": settings, "notes": args.note, "sizes": sizes_now}
        results_file.write_text(json.dumps(raw, indent=2, default=str))
        if str(args.docs) != "-":
            args.docs.parent.mkdir(parents=True, exist_ok=True)
            args.docs.write_text(bench_report.render(raw, SEED_SYSTEM_SECONDS_PER_SYMBOL,
                                                     bench_report.kept_findings(args.docs)))

    deadline = None
    if args.deadline:
        hour, minute = (int(part) for part in args.deadline.split(":"))
        deadline = datetime.now(UTC).replace(hour=hour, minute=minute, second=0, microsecond=0)
    dbt_vars = benchmark_vars(args.all_strategies)
    if not args.all_strategies:
        args.note.append("Our builds ran the four strategies the references compute (" + ", ".join(REFERENCE_STRATEGIES)
                         + "), plus path indicators; --all-strategies builds every enabled strategy.")
    results = [bench_size(universe, args.workdir, args.timeout, args.skip_reference, args.skip_vectorbt, checkpoint,
                          deadline, dbt_vars)
               for universe in universes
               if seconds_left(deadline, args.timeout) > 0]
    print(bench_report.summary_lines(json.loads(results_file.read_text())), flush=True)
    return 0 if all(r.full and r.full.success for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
