"""The daily job: calendar check, validation, `dbt build` (signals first), record in ops.runs, alerts."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from strategy_engine import alerts, marts, ops
from strategy_engine.alerts import Alert
from strategy_engine.calendar import check_session
from strategy_engine.dbt_invoke import DbtJob, DbtOutcome
from strategy_engine.marts import MartReader, MissingMart
from strategy_engine.published import publish_after_build
from strategy_engine.run_lock import EXIT_BUSY, RunLockBusy, default_wait_seconds, run_lock
from strategy_engine.schemas import INTERMEDIATE_SCHEMA, MARTS_SCHEMA
from strategy_engine.structured_log import RUN_ID, configure_logging, log_event
from strategy_engine.validation import validate

logger = logging.getLogger("strategy_engine.run")
EXCHANGE_TZ = ZoneInfo("Asia/Kolkata")
COUNTED_MARTS = [
    (INTERMEDIATE_SCHEMA, "int_market_data_adjusted"),
    *((MARTS_SCHEMA, name) for name in
      ["signals", "positions", "trades", "equity_curve", "performance", "market_data_rejected"]),
]
# Built, tested and published first: the signals and their digest with everything upstream, and
# the parameter sets the signals refer to (their relationships test then runs in this step).
SIGNAL_PATH = ["+signals", "+daily_signal_digest", "strategy_param_sets"]
# A daily (not --full-refresh) run leaves out the unit tests, which test the SQL and not the data
# (make test runs them), and runs the per-column not_null, uniqueness and finiteness tests of each step as one
# query (tests/dbt/assert_*_rows_pass_left_out_checks.sql): one query per column made the data tests
# most of a small daily run. --full-refresh and plain `dbt build` run every test on its own.
DAILY_SKIPPED_RESOURCES = ["--exclude-resource-type", "unit_test"]
SIGNAL_STEP_THREADS = ["--threads", "1"]
# DuckDB's memory_limit of a daily (not --full-refresh) run on a local target, unless
# SE_DUCKDB_MEMORY_LIMIT is set: profiles/profiles.yml's default (6GB) is sized for a full build,
# and DuckDB keeps table pages cached up to its limit, so a daily run held 7.4 GiB at 2000x20y with
# the 16GB of that time. A daily run reads only its new days and their recent history
# (docs/BENCHMARKS.md, findings).
# It is set after the job's parse: the profile's settings are part of dbt's partial-parse key, so a
# parse with another limit than the last `dbt build` would parse the whole project again.
DAILY_MEMORY_LIMIT = "3GB"
MEMORY_LIMIT_VARIABLE = "SE_DUCKDB_MEMORY_LIMIT"
DAILY_LEFT_OUT = [
    f"test_name:{name},config.severity:ERROR" for name in ("not_null", "unique", "unique_combination", "all_finite")
]


def exchange_today() -> date:
    return datetime.now(EXCHANGE_TZ).date()


@dataclass
class RunOptions:
    day: date
    target: str
    full_refresh: bool = False
    force: bool = False
    dry_run: bool = False
    select: str | None = None
    validate_first: bool = True
    # seconds to wait for a run that holds the warehouse; None: SE_RUN_LOCK_WAIT_SECONDS, else 0
    lock_wait_seconds: float | None = None


def build_steps(options: RunOptions) -> list[tuple[str, list[str]]]:
    """(step name, dbt arguments) in order. Without --select: the signal path first (its tests only
    when all their parents are on it), then everything else with the tests not run yet."""
    args = ["build", *(["--full-refresh"] if options.full_refresh else [])]
    if options.select:
        return [("selection", [*args, "--select", options.select])]
    if options.full_refresh:
        return [
            ("signals", [*args, "--select", *SIGNAL_PATH, "--indirect-selection", "cautious"]),
            ("backtest", [*args, "--exclude", *SIGNAL_PATH, "--indirect-selection", "buildable"]),
        ]
    daily = [*args, *DAILY_SKIPPED_RESOURCES]
    return [
        # One dbt thread: the signal path is nearly a chain, and its Python models (path_indicators,
        # positions) ran up to 3x slower when a second thread held Python's lock meanwhile.
        ("signals", [*daily, *SIGNAL_STEP_THREADS, "--select", *SIGNAL_PATH, "--exclude", *DAILY_LEFT_OUT,
                     "--indirect-selection", "cautious"]),
        # cautious, not buildable: with buildable, excluding a model's not_null tests marks the model
        # as excluded too, and a singular test reading it and a signal-path model was dropped.
        ("backtest", [*daily, "--exclude", *SIGNAL_PATH, *DAILY_LEFT_OUT, "--indirect-selection", "cautious"]),
    ]


def _failures(outcome: DbtOutcome) -> list[dict]:
    failures = [
        {"node": r.get("unique_id"), "status": r.get("status"), "message": (r.get("message") or "")[:500]}
        for r in outcome.failures
    ]
    if not outcome.success and not failures:
        failures.append({"node": "dbt", "status": "error", "message": (outcome.error or "dbt build failed")[:500]})
    return failures


def _row_counts(target: str) -> dict[str, int]:
    counts = MartReader(target).row_counts(COUNTED_MARTS)
    return {f"{schema}.{table}": count for (schema, table), count in counts.items()}


def _digest_line(row: dict) -> str:
    """'sma_cross/p1 ENTRY_LONG x3: INFY, TCS' for the digest view's columns; key=value otherwise."""
    if {"strategy_id", "signal_type", "symbols"} <= row.keys():
        series = "/".join(str(row[k]) for k in ("strategy_id", "param_set_id") if row.get(k) is not None)
        count = f" x{row['signal_count']}" if row.get("signal_count") is not None else ""
        return f"{series} {row['signal_type']}{count}: {row['symbols']}"
    return ", ".join(f"{k}={v}" for k, v in row.items() if v is not None)


def digest_alert(day: date, target: str) -> Alert | None:
    """The daily signal digest; None (with a log line) when the digest mart is not built."""
    reader = MartReader(target)
    try:
        rows = marts.daily_digest(reader, day).dicts()
    except MissingMart as missing:
        log_event(logger, "digest_skipped", reason=str(missing))
        print(f"  no digest: {missing}")
        return None
    lines = [_digest_line(row) for row in rows[:50]]
    if not lines:
        lines = ["no signals today"]
    return Alert("signal_digest", day, f"Strategy engine signals for {day}", lines)


def run_daily(options: RunOptions) -> int:
    configure_logging()
    run = ops.RunRecord(ops.new_run_id(), "run", options.day, options.target)
    token = RUN_ID.set(run.run_id)
    try:
        return _run(options, run)
    finally:
        RUN_ID.reset(token)


@contextmanager
def daily_memory_limit(options: RunOptions) -> Iterator[None]:
    """DAILY_MEMORY_LIMIT for the dbt invocations inside (the profile reads the variable at each
    invocation) on a daily run of a DuckDB target; a caller's own SE_DUCKDB_MEMORY_LIMIT wins."""
    applies = (not options.full_refresh and options.target in marts.DUCKDB_TARGETS
               and MEMORY_LIMIT_VARIABLE not in os.environ)
    if applies:
        os.environ[MEMORY_LIMIT_VARIABLE] = DAILY_MEMORY_LIMIT
    try:
        yield
    finally:
        if applies:
            os.environ.pop(MEMORY_LIMIT_VARIABLE, None)


def _run(options: RunOptions, run: ops.RunRecord) -> int:
    session = check_session(options.day)
    print(f"[1/5] calendar: {options.day} is {'a session' if session.is_session else 'not a session'} "
          f"({session.reason})", flush=True)
    if not session.is_session and not options.force:
        print("      skipping (use --force to run anyway)")
        if not options.dry_run:
            run.status, run.message, run.finished_at = "skipped", session.reason, ops.utc_now()
            ops.record_run(run)
        log_event(logger, "run_skipped", day=options.day, reason=session.reason)
        return 0
    steps = build_steps(options)
    if options.dry_run:
        builds = " then ".join(f"`dbt {' '.join(args)}`" for _, args in steps)
        print(f"[dry-run] would validate, then {builds} on target {options.target}, "
              "record ops.runs and send alerts")
        return 0

    wait = options.lock_wait_seconds if options.lock_wait_seconds is not None else default_wait_seconds()
    try:
        with run_lock(run.run_id, wait):
            return _locked_run(options, run, steps)
    except RunLockBusy as busy:
        return _skip_concurrent(options, run, busy)


def _skip_concurrent(options: RunOptions, run: ops.RunRecord, busy: RunLockBusy) -> int:
    """Recorded in ops.runs and alerted, so a run that did not happen is never silent."""
    run.status, run.message, run.finished_at = "skipped_concurrent", str(busy), ops.utc_now()
    ops.record_run(run)
    log_event(logger, "run_skipped_concurrent", level=logging.WARNING, day=options.day, holder=busy.holder)
    alerts.send_alert(Alert("run_skipped_concurrent", options.day, f"Daily run for {options.day} did not start",
                            [f"{busy}.", "Nothing was built; run it again once the other run has finished."],
                            severity="warning"), run.run_id)
    print(f"strategy-engine run: {busy}; this run did not start (exit {EXIT_BUSY}). Run it again later, "
          f"or let it wait with --wait-for-lock SECONDS.", file=sys.stderr, flush=True)
    return EXIT_BUSY


def _locked_run(options: RunOptions, run: ops.RunRecord, steps: list[tuple[str, list[str]]]) -> int:
    abandoned = ops.mark_abandoned_runs(run.run_id)
    if abandoned:
        print(f"      marked {len(abandoned)} earlier run(s) as abandoned (their process ended without "
              f"recording an end): {', '.join(abandoned)}", flush=True)
        log_event(logger, "runs_abandoned", level=logging.WARNING, run_ids=abandoned)
    ops.record_run(run)
    log_event(logger, "run_started", day=options.day, target=options.target)
    earlier = alerts.previous_failures_alert(run.run_id, options.day)
    if earlier:
        alerts.send_alert(earlier, run.run_id)

    if options.validate_first:
        print("[2/5] validating inputs ...", flush=True)
        report = validate(options.day, options.target, freshness=False)
        if not report.ok:
            alerts.send_alert(Alert("validation_warning", options.day, f"Data validation warnings for {options.day}",
                                    report.problems, severity="warning"), run.run_id)
    digest_sent = _build(options, run, steps)
    publish_after_build(options.target, run)

    print("[4/5] recording the run in ops.runs ...", flush=True)
    if options.target in marts.DUCKDB_TARGETS:
        run.row_counts = _row_counts(options.target)
    run.finished_at = ops.utc_now()
    run.message = "ok" if run.status == "success" else f"{len(run.failures)} failing node(s)"
    ops.record_run(run)
    log_event(logger, "run_finished", status=run.status, failures=len(run.failures),
              seconds=(run.finished_at - run.started_at).total_seconds(),
              signals_ready_seconds=run.signals_ready_seconds, signal_path_seconds=run.signal_path_seconds)

    print("[5/5] alerts ...", flush=True)
    if run.status == "failed":
        lines = [f"{f['node']} ({f['status']}): {f['message']}" for f in run.failures]
        alerts.send_alert(Alert("run_failure", options.day, f"Daily run {run.run_id} failed on {options.target}",
                                lines, severity="failure"), run.run_id)
        for line in lines:
            print(f"  FAILED {line}", flush=True)
        return 1
    if not digest_sent:
        _publish_digest(options.day, options.target, run)
    print(f"done: run {run.run_id} succeeded at {datetime.now(UTC).isoformat(timespec='seconds')}")
    return 0


def _build(options: RunOptions, run: ops.RunRecord, steps: list[tuple[str, list[str]]]) -> bool:
    """Runs the build steps with one parsed manifest; publishes the digest as soon as the signal
    step succeeds. Returns whether the digest was sent. A failed step skips the later ones."""
    build_started = time.perf_counter()
    job = DbtJob(options.target)
    parsed = job.parse()
    run.parse_seconds, run.parse_mode = round(job.parse_seconds, 3), job.parse_mode
    print(f"[3/5] dbt parse: {job.parse_mode} ({job.parse_seconds:.1f} s, target {options.target})", flush=True)
    run.status = "success" if parsed.success else "failed"
    run.failures = _failures(parsed)
    digest_sent = False
    for name, args in steps:
        if run.status == "failed":
            print(f"      skipping the {name} step after a failure", flush=True)
            continue
        print(f"      dbt {' '.join(args)} ...", flush=True)
        with daily_memory_limit(options):
            outcome = job.invoke(args)
        outcome.keep_run_results(name)
        run.model_timings.update({
            r["unique_id"]: round(float(r.get("execution_time") or 0.0), 3)
            for r in outcome.results if str(r.get("unique_id", "")).startswith(("model.", "seed.", "snapshot."))
        })
        run.failures += _failures(outcome)
        run.status = "success" if outcome.success and not run.failures else "failed"
        print(f"      {len(outcome.results)} nodes, {len(run.failures)} failure(s)", flush=True)
        if name == "signals" and run.status == "success":
            run.signal_path_seconds = round(sum(float(r.get("execution_time") or 0.0) for r in outcome.results), 3)
            _publish_digest(options.day, options.target, run)
            digest_sent = True
            run.signals_ready_seconds = round(time.perf_counter() - build_started, 3)
            run.signals_ready_at = ops.utc_now()
            print(f"      signals ready {run.signals_ready_seconds:.1f} s after the build started "
                  f"(signal path warehouse {run.signal_path_seconds:.1f} s, summed node times)", flush=True)
            log_event(logger, "signals_ready", seconds=run.signals_ready_seconds,
                      signal_path_seconds=run.signal_path_seconds, nodes=len(outcome.results))
            ops.record_run(run)
    return digest_sent


def _publish_digest(day: date, target: str, run: ops.RunRecord) -> None:
    digest = digest_alert(day, target)
    if digest:
        alerts.send_alert(digest, run.run_id)


def show_demo_outputs(target: str = "local") -> None:
    """For `make demo`: the latest day's digest through the alert path (console + outbox without
    channels) and the HTML report, so the demo shows what operations receive."""
    from strategy_engine.reports import write_report

    try:
        latest = marts.latest_trade_date(MartReader(target))
    except MissingMart:
        return
    if latest is None:
        return
    digest = digest_alert(latest, target)
    if digest:
        alerts.send_alert(digest)
    write_report(latest, target)
