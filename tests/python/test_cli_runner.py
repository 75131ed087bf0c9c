"""The runner's CLI commands on a throwaway DuckDB warehouse (real dbt where dbt is involved)."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from strategy_engine import cli, daily_run, ops
from strategy_engine.daily_run import SIGNAL_STEP_THREADS, RunOptions, build_steps
from strategy_engine.dbt_invoke import DbtJob, DbtOutcome, job_target_path, run_dbt

SESSIONS = ["2022-01-27", "2022-01-28", "2022-01-31", "2022-02-01"]
SYMBOLS = ["INFY", "TCS", "RELIANCE"]
# The foundation models only, so the tests do not wait for indicators, signals and backtests.
SMALL_BUILD = "path:seeds +path:models/marts/data_quality"
OPS_FILE = "warehouse_ops.duckdb"  # ops.default_ops_path of warehouse.duckdb


def test_installed_command_exits_with_its_code_and_flushed_output(runner_env: Path) -> None:
    """The console script ends with os._exit (no interpreter teardown): output piped to a file
    must still arrive in full, and the exit code must be the command's."""
    import subprocess
    import sys

    command = Path(sys.executable).with_name("strategy-engine")
    env = dict(os.environ)
    loaded = subprocess.run([str(command), "load", str(runner_env / "missing.csv")], env=env,
                            capture_output=True, text=True, timeout=120)
    assert loaded.returncode != 0
    assert "missing.csv" in loaded.stdout + loaded.stderr
    helped = subprocess.run([str(command), "run", "--help"], env=env, capture_output=True, text=True, timeout=120)
    assert helped.returncode == 0
    assert helped.stdout.startswith("usage: strategy-engine run") and "--skip-validation" in helped.stdout
    usage = subprocess.run([str(command), "run", "--date", "not-a-date"], env=env, capture_output=True,
                           text=True, timeout=120)
    assert usage.returncode == 2
    assert "not-a-date" in usage.stderr


def _load_small_sample(tmp_path: Path) -> None:
    lines = ["symbol,date,open,high,low,close,volume"]
    for i, day in enumerate(SESSIONS):
        for j, symbol in enumerate(SYMBOLS):
            price = 100 + 10 * j + i
            lines.append(f"{symbol},{day},{price},{price + 2},{price - 2},{price + 1},{1000 + i}")
    csv = tmp_path / "small.csv"
    csv.write_text("\n".join(lines) + "\n")
    assert cli.main(["load", str(csv)]) == 0


def _outbox(tmp_path: Path, day: str) -> list[dict]:
    path = tmp_path / "outbox" / f"alerts-{day}.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _runs(tmp_path: Path) -> list[tuple]:
    with duckdb.connect(str(tmp_path / OPS_FILE), read_only=True) as con:
        return con.execute(
            "select run_date, status, model_timings, failures from ops.runs order by started_at"
        ).fetchall()


def test_every_command_has_help(capsys: pytest.CaptureFixture) -> None:
    for command in ["run", "validate", "serve", "report"]:
        with pytest.raises(SystemExit) as exit_info:
            cli.main([command, "--help"])
        assert exit_info.value.code == 0
        assert "usage: strategy-engine " + command in capsys.readouterr().out


def test_run_skips_a_real_holiday_and_records_it(runner_env: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["run", "--date", "2021-11-05"]) == 0  # Diwali Balipratipada
    assert "skipping" in capsys.readouterr().out
    assert [(r[0], r[1]) for r in _runs(runner_env)] == [(date(2021, 11, 5), "skipped")]


def test_run_dry_run_on_special_session_changes_nothing(runner_env: Path, capsys: pytest.CaptureFixture) -> None:
    assert cli.main(["run", "--date", "2020-11-14", "--dry-run"]) == 0  # Muhurat trading, a Saturday
    out = capsys.readouterr().out
    assert "special session" in out and "[dry-run] would validate" in out
    assert not (runner_env / "warehouse.duckdb").exists()


def test_run_builds_records_and_sends_the_digest(runner_env: Path) -> None:
    _load_small_sample(runner_env)
    with duckdb.connect(str(runner_env / "warehouse.duckdb")) as con:
        # Stands in for the signals helper's view (same contract name).
        con.execute("create schema strategy_data")
        con.execute("create table strategy_data.daily_signal_digest as select date '2022-02-01' as digest_date, "
                    "'sma_cross' as strategy_id, 'p1' as param_set_id, 'ENTRY_LONG' as signal_type, "
                    "2 as signal_count, 'INFY, TCS' as symbols")
    assert cli.main(["run", "--date", "2022-02-01", "--select", SMALL_BUILD]) == 0
    (run_date, status, timings, failures), = _runs(runner_env)
    assert (run_date, status, json.loads(failures)) == (date(2022, 2, 1), "success", [])
    assert "model.strategy_engine.stg_market_data" in json.loads(timings)
    kinds = {entry["kind"]: entry for entry in _outbox(runner_env, "2022-02-01")}
    assert "validation_warning" in kinds  # only 3 of the 50 universe symbols were loaded
    assert kinds["signal_digest"]["lines"] == ["sma_cross/p1 ENTRY_LONG x2: INFY, TCS"]
    # Re-running the same date does not re-send the digest.
    assert cli.main(["run", "--date", "2022-02-01", "--select", SMALL_BUILD, "--skip-validation"]) == 0
    assert len([e for e in _outbox(runner_env, "2022-02-01") if e["kind"] == "signal_digest"]) == 1


def test_failing_model_is_named_recorded_and_exits_non_zero(runner_env: Path) -> None:
    with duckdb.connect(str(runner_env / "warehouse.duckdb")) as con:
        # A source table missing its price columns: staging models fail for real.
        con.execute("create schema trading_data")
        con.execute("create table trading_data.market_data (symbol varchar, trade_date date, "
                    "source_file varchar, loaded_at timestamp)")
    code = cli.main(["run", "--date", "2022-02-01", "--select", SMALL_BUILD, "--skip-validation"])
    assert code == 1
    (_, status, _, failures), = _runs(runner_env)
    assert status == "failed"
    failed_nodes = {f["node"] for f in json.loads(failures)}
    assert any("base_market_data_checked" in node or "stg_market_data" in node for node in failed_nodes)
    failure_alert = next(e for e in _outbox(runner_env, "2022-02-01") if e["kind"] == "run_failure")
    assert any("stg_market_data" in line or "base_market_data_checked" in line for line in failure_alert["lines"])


def test_validate_reports_missing_symbols(runner_env: Path, capsys: pytest.CaptureFixture) -> None:
    _load_small_sample(runner_env)
    assert cli.main(["run", "--date", "2022-02-01", "--select", SMALL_BUILD,
                     "--skip-validation"]) == 0
    capsys.readouterr()
    code = cli.main(["validate", "--date", "2022-02-01"])
    out = capsys.readouterr().out
    assert code == 1
    assert "source trading_data.market_data freshness pass" in out
    assert "47 of 50 universe symbols missing on 2022-02-01" in out
    assert any(e["kind"] == "validation_warning" for e in _outbox(runner_env, "2022-02-01"))


def _execute_started_at(result: dict) -> datetime:
    execute = next(t for t in result["timing"] if t["name"] == "execute")
    return datetime.fromisoformat(execute["started_at"].replace("Z", "+00:00")).replace(tzinfo=None)


def test_first_job_starts_from_the_parse_of_a_plain_dbt_command(runner_env: Path) -> None:
    """A daily job after a user's `dbt build` (or parse) reuses that parse instead of a full one."""
    assert run_dbt(["parse"]).success  # no --target: the profile's default, as a user types it
    job = DbtJob("local")
    assert not (job.target_dir / "partial_parse.msgpack").exists()
    assert job.parse().success
    assert job.parse_mode == "unchanged"
    other = DbtJob("ci")  # another target: the copied file's key differs, dbt parses in full
    assert other.parse().success and other.parse_mode == "full"


def testbuild_steps_cover_every_node_of_a_full_build_once(runner_env: Path) -> None:
    job = DbtJob("local")
    executable = ("model.", "seed.", "snapshot.", "test.", "unit_test.")
    full = {node for node in job.selected(["--select", "*"]) if node.startswith(executable)}
    steps = [{node for node in job.selected([a for a in args[1:] if a != "--full-refresh"])
              if node.startswith(executable)}
             for _, args in build_steps(RunOptions(day=date(2022, 2, 1), target="local", full_refresh=True))]
    signals, rest = steps
    assert "model.strategy_engine.signals" in signals and "model.strategy_engine.daily_signal_digest" in signals
    assert "model.strategy_engine.trades" in rest and "model.strategy_engine.performance" in rest
    assert signals.isdisjoint(rest)
    assert signals | rest == full


LEFT_OUT_CHECKS = {"signals": "test.strategy_engine.assert_signal_path_rows_pass_left_out_checks",
                   "backtest": "test.strategy_engine.assert_backtest_rows_pass_left_out_checks"}


def _ancestors(manifest: dict, node: str) -> set[str]:
    parents = {**manifest["nodes"], **manifest["sources"]}
    seen: set[str] = set()
    stack = list(parents[node].get("depends_on", {}).get("nodes", []))
    while stack:
        current = stack.pop()
        if current not in seen:
            seen.add(current)
            stack.extend(parents.get(current, {}).get("depends_on", {}).get("nodes", []))
    return seen


def test_daily_steps_leave_out_only_unit_tests_and_the_checks_they_run_in_one_query(runner_env: Path) -> None:
    """A daily run builds every node of a full build, runs every data test or its check in one
    query after the nodes it checks, and leaves out only the unit tests."""
    job = DbtJob("local")
    executable = ("model.", "seed.", "snapshot.", "test.", "unit_test.")
    full = {node for node in job.selected(["--select", "*"]) if node.startswith(executable)}
    manifest = json.loads((job.target_dir / "manifest.json").read_text())
    steps = {name: {node for node in job.selected([a for a in args[1:] if a not in SIGNAL_STEP_THREADS])
                    if node.startswith(executable)}
             for name, args in build_steps(RunOptions(day=date(2022, 2, 1), target="local"))}
    assert steps["signals"].isdisjoint(steps["backtest"])
    left_out = full - steps["signals"] - steps["backtest"]
    assert {node for node in full if node.startswith("unit_test.")} <= left_out
    for node in left_out - {n for n in full if n.startswith("unit_test.")}:
        test = manifest["nodes"][node]
        left_out_names = {"not_null", "unique", "unique_combination", "all_finite"}
        assert test.get("test_metadata", {}).get("name") in left_out_names, node
        assert test["config"]["severity"].lower() == "error", node
    built = steps["signals"] | steps["backtest"]
    assert {node for node in full if not node.startswith(("test.", "unit_test."))} <= built
    for name, check in LEFT_OUT_CHECKS.items():
        assert check in steps[name]
        built = {node for node in steps[name] if node.startswith(("model.", "seed."))}
        assert built <= _ancestors(manifest, check), f"{name}: built after its check"


def test_daily_run_publishes_signals_first_reuses_the_parse_and_tests_its_own_rows(runner_env: Path) -> None:
    _load_small_sample(runner_env)
    assert cli.main(["run", "--date", "2022-02-01", "--skip-validation"]) == 0
    with duckdb.connect(str(runner_env / OPS_FILE), read_only=True) as con:
        (parse_mode, ready_seconds, signal_seconds, ready_at), = con.execute(
            "select parse_mode, signals_ready_seconds, signal_path_seconds, signals_ready_at from ops.runs"
        ).fetchall()
    assert parse_mode == "full"
    assert ready_seconds > 0 and signal_seconds > 0
    with duckdb.connect(str(runner_env / OPS_FILE), read_only=True) as con:
        recorded = json.loads(con.execute("select row_counts from ops.runs").fetchone()[0])
    with duckdb.connect(str(runner_env / "warehouse.duckdb"), read_only=True) as con:
        actual = {name: con.execute(f"select count(*) from {name}").fetchone()[0]
                  for name in ["intermediate.int_market_data_adjusted", "strategy_data.signals",
                               "strategy_data.performance"]}
    assert actual["intermediate.int_market_data_adjusted"] == len(SESSIONS) * len(SYMBOLS)
    assert all(recorded[name] == count for name, count in actual.items())
    assert any(e["kind"] == "signal_digest" for e in _outbox(runner_env, "2022-02-01"))
    # The last step's run_results.json holds the backtest marts: each started after the digest was out.
    run_results = json.loads((job_target_path("local") / "run_results.json").read_text())["results"]
    backtest = {r["unique_id"]: _execute_started_at(r) for r in run_results
                if r["unique_id"].split(".")[-1] in {"trades", "equity_curve", "performance"}}
    assert len(backtest) == 3 and all(started > ready_at for started in backtest.values())

    # The second run of the day: nothing dbt hashes changed, so dbt skips parsing.
    assert cli.main(["run", "--date", "2022-02-01", "--skip-validation"]) == 0
    with duckdb.connect(str(runner_env / OPS_FILE), read_only=True) as con:
        modes = [row[0] for row in con.execute("select parse_mode from ops.runs order by started_at").fetchall()]
    assert modes == ["full", "unchanged"]

    # The daily run checks the not_null tests it left out in one query, on the rows it wrote: a
    # null stamped a moment before the run started is not looked at (no clock-skew margin: a run
    # minutes after a full build tests only its own rows), the same null with a stamp of the coming
    # run (no earlier than its run_started_at: an hour ahead stands in for it) fails the run.
    warehouse = str(runner_env / "warehouse.duckdb")
    corrupt = ("update strategy_data.strategy_candidates set param_set_id = null, computed_at = {stamp} "
               "where trade_date = date '2022-01-27'")
    with duckdb.connect(warehouse) as con:
        con.execute("create table main.kept_candidates as select * from strategy_data.strategy_candidates "
                    "where trade_date = date '2022-01-27'")
        con.execute(corrupt.format(stamp="now()"))
    assert cli.main(["run", "--date", "2022-02-01", "--skip-validation"]) == 0
    with duckdb.connect(warehouse) as con:
        con.execute(corrupt.format(stamp="now() + interval 1 hour"))
    assert cli.main(["run", "--date", "2022-02-01", "--skip-validation"]) == 1
    with duckdb.connect(str(runner_env / OPS_FILE), read_only=True) as con:
        failures, = con.execute("select failures from ops.runs order by started_at desc limit 1").fetchone()
    with duckdb.connect(warehouse) as con:
        con.execute("delete from strategy_data.strategy_candidates where trade_date = date '2022-01-27'")
        con.execute("insert into strategy_data.strategy_candidates select * from main.kept_candidates")
    assert [f["node"] for f in json.loads(failures)] == [
        "test.strategy_engine.assert_signal_path_rows_pass_left_out_checks"]

    # Generic tests check the rows the invocation wrote: an invalid row stamped two hours ago is
    # not looked at, the same row with a stamp of the coming invocation fails.
    with duckdb.connect(str(runner_env / "warehouse.duckdb")) as con:
        con.execute("update strategy_data.strategy_candidates set strategy_type = 'not_a_type', "
                    "computed_at = now() - interval 2 hour where trade_date = date '2022-01-27'")
    job = DbtJob("local")
    assert job.invoke(["test", "--select", "strategy_candidates"]).success
    with duckdb.connect(str(runner_env / "warehouse.duckdb")) as con:
        con.execute("update strategy_data.strategy_candidates set computed_at = now() + interval 1 hour "
                    "where trade_date = date '2022-01-27'")
    failed = job.invoke(["test", "--select", "strategy_candidates"])
    assert not failed.success
    failed_tests = [r["unique_id"] for r in failed.failures]
    assert failed_tests and all(".accepted_strategy_types_strategy_candidates" in uid for uid in failed_tests)


def test_daily_memory_limit_is_set_for_the_builds_after_the_parse(
        runner_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The profile's settings are part of dbt's partial-parse key: the job parses with the limit a
    plain `dbt build` had (so the first daily job after one reuses its parse) and only its build
    invocations get DAILY_MEMORY_LIMIT; the variable is gone after the job."""
    monkeypatch.delenv(daily_run.MEMORY_LIMIT_VARIABLE, raising=False)
    seen: list[tuple[str, str | None]] = []

    class RecordingJob:
        def __init__(self, target: str) -> None:
            self.parse_mode, self.parse_seconds = "unchanged", 0.0

        def parse(self) -> DbtOutcome:
            seen.append(("parse", os.environ.get(daily_run.MEMORY_LIMIT_VARIABLE)))
            return DbtOutcome(success=True, results=[], target_path=runner_env)

        def invoke(self, args: list[str]) -> DbtOutcome:
            seen.append((args[0], os.environ.get(daily_run.MEMORY_LIMIT_VARIABLE)))
            return DbtOutcome(success=True, results=[], target_path=runner_env)

    monkeypatch.setattr(daily_run, "DbtJob", RecordingJob)
    options = RunOptions(day=date(2022, 2, 1), target="local")
    record = ops.RunRecord("test-run", "run", options.day, options.target)
    daily_run._build(options, record, [("backtest", ["build"])])
    assert seen == [("parse", None), ("build", daily_run.DAILY_MEMORY_LIMIT)]
    assert daily_run.MEMORY_LIMIT_VARIABLE not in os.environ

    seen.clear()  # a caller's own limit wins, and a full refresh keeps the profile's
    monkeypatch.setenv(daily_run.MEMORY_LIMIT_VARIABLE, "5GB")
    daily_run._build(options, record, [("backtest", ["build"])])
    monkeypatch.delenv(daily_run.MEMORY_LIMIT_VARIABLE)
    daily_run._build(RunOptions(day=options.day, target="local", full_refresh=True), record,
                     [("backtest", ["build"])])
    assert seen == [("parse", "5GB"), ("build", "5GB"), ("parse", None), ("build", None)]
