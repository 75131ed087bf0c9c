"""`strategy-engine`: the command line of the thin runner."""

from __future__ import annotations

import argparse
import atexit
import logging
import os
import sys
from pathlib import Path

from strategy_engine import __version__
from strategy_engine.paths import default_target


def _cmd_load(args: argparse.Namespace) -> int:
    from strategy_engine.loading import LoadError, load_paths
    from strategy_engine.loading.archives import ArchiveLimits
    from strategy_engine.warehouse import connect

    paths = [Path(p) for p in args.paths]
    try:
        limits = ArchiveLimits.from_env(
            max_uncompressed_bytes=args.max_uncompressed_bytes, max_ratio=args.max_ratio,
            max_members=args.max_members, max_nesting=args.max_nesting,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    try:
        if args.target in ("dev", "prod", "bq_emulator"):
            from strategy_engine.loading.bigquery import load_paths_bigquery

            report = load_paths_bigquery(paths, args.format, args.target, limits=limits)
        else:
            with connect() as con:
                report = load_paths(con, paths, args.format, limits)
    except LoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report.summary())
    for note in report.notes:
        print(f"  note: {note}")
    for symbol, day in report.replaced_keys[:20]:
        print(f"  replaced {symbol} {day}")
    if len(report.replaced_keys) > 20:
        print(f"  ... and {len(report.replaced_keys) - 20} more")
    return 0


def _cmd_generate(args: argparse.Namespace) -> int:
    from strategy_engine.synthetic import generate

    try:
        universe = generate(args.symbols, args.years, args.seed, Path(args.out))
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(
        f"{universe.rows:,} rows ({universe.symbols} symbols x {universe.sessions} sessions, some listing late) "
        f"in {universe.market_path}; {universe.splits} split(s) in {universe.actions_path}"
    )
    print(f"load with: strategy-engine load {universe.market_path} {universe.actions_path}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from strategy_engine.demo import run_demo

    return run_demo()


def _iso_date(text: str):  # noqa: ANN202 - argparse type
    from datetime import date

    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from error


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text}")
    return value


def _cmd_run(args: argparse.Namespace) -> int:
    from strategy_engine.daily_run import RunOptions, exchange_today, run_daily

    return run_daily(RunOptions(
        day=args.date or exchange_today(), target=args.target, full_refresh=args.full_refresh,
        force=args.force, dry_run=args.dry_run, select=args.select, validate_first=not args.skip_validation,
        lock_wait_seconds=args.wait_for_lock,
    ))


def _cmd_validate(args: argparse.Namespace) -> int:
    from strategy_engine.alerts import Alert, send_alert
    from strategy_engine.daily_run import exchange_today
    from strategy_engine.structured_log import configure_logging
    from strategy_engine.validation import validate

    configure_logging()
    day = args.date or exchange_today()
    print(f"validating {day} on target {args.target} ...", flush=True)
    report = validate(day, args.target, freshness=not args.skip_freshness)
    for note in report.notes:
        print(f"  ok: {note}")
    for problem in report.problems:
        print(f"  PROBLEM: {problem}")
    if not report.ok and not args.no_alert:
        send_alert(Alert("validation_warning", day, f"Pre-market validation problems for {day}",
                         report.problems, severity="warning"))
    return 0 if report.ok else 1


def _cmd_serve(args: argparse.Namespace) -> int:
    from strategy_engine.server import serve

    return serve(args.host, args.port, args.target)


def _cmd_report(args: argparse.Namespace) -> int:
    from strategy_engine.daily_run import exchange_today
    from strategy_engine.reports import write_report

    return write_report(args.date or exchange_today(), args.target, send=args.send)


def _add_target_argument(command: argparse.ArgumentParser, help_text: str) -> None:
    command.add_argument("--target", default=default_target(),
                         choices=["local", "ci", "dev", "prod"], help=help_text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="strategy-engine",
        description="Warehouse-native strategy engine: load data, build indicators, signals and "
        "backtests with dbt, send alerts and reports.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    load = commands.add_parser(
        "load", help="load end-of-day files into the warehouse's source tables (DuckDB or BigQuery)",
        description="Load CSV files (or zips of them) into the source tables market_data / corporate_actions. "
        "Idempotent: identical rows change nothing, a changed row replaces the stored one.",
    )
    load.add_argument("paths", nargs="+", help="CSV or zip files (not directories or symbolic links)")
    load.add_argument(
        "--format", default="auto",
        choices=["auto", "ohlcv-csv", "nse-history", "nse-bhavcopy", "nse-udiff", "corporate-actions"],
        help="input format (default: detect from the first line)",
    )
    load.add_argument(
        "--target", default=default_target(), choices=["local", "ci", "dev", "prod", "bq_emulator"],
        help="local/ci: the DuckDB file (SE_DUCKDB_PATH); dev/prod: BigQuery load jobs and a MERGE into "
        "trading_data (docs/BIGQUERY.md); bq_emulator: the same into the local crucible emulator "
        "(SE_BQ_EMULATOR_PORT) (default: env SE_TARGET or local)",
    )
    from strategy_engine.loading.archives import ArchiveLimits

    defaults, env = ArchiveLimits(), ArchiveLimits.ENV
    limits = load.add_argument_group(
        "archive limits", "zips are streamed, never unpacked; a zip over any limit is refused with exit code 2 "
        "and nothing of the call is written",
    )
    limits.add_argument("--max-uncompressed-bytes", type=int, metavar="N",
                        help="total uncompressed bytes of one zip's members (default: env "
                        f"{env['max_uncompressed_bytes']} or {defaults.max_uncompressed_bytes:,})")
    limits.add_argument("--max-ratio", type=float, metavar="R",
                        help="largest uncompressed/compressed size of a member (default: env "
                        f"{env['max_ratio']} or {defaults.max_ratio:g})")
    limits.add_argument("--max-members", type=int, metavar="N",
                        help=f"members of one zip (default: env {env['max_members']} or {defaults.max_members:,})")
    limits.add_argument("--max-nesting", type=int, metavar="N",
                        help="depth of zips inside zips that are opened (default: env "
                        f"{env['max_nesting']} or {defaults.max_nesting}; 0 refuses a nested zip)")
    load.set_defaults(handler=_cmd_load)

    generate = commands.add_parser(
        "generate", help="write a deterministic synthetic universe (ohlcv-csv + corporate actions) for scale tests",
        description="Random walks with volatility regimes, overnight gaps, late listings and a few splits "
        "(written unadjusted, with the split as a corporate action). Same arguments, same bytes.",
    )
    generate.add_argument("--symbols", type=int, required=True, help="number of symbols (SYN0001, ...)")
    generate.add_argument("--years", type=int, required=True, help="years of weekday sessions ending 2025-12-31")
    generate.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    generate.add_argument(
        "--out", default="data/synthetic/universe.zip",
        help="ohlcv-csv to write, zipped when it ends in .zip; the corporate actions go next to it "
        "as <name>_corporate_actions.csv (default data/synthetic/universe.zip)",
    )
    generate.set_defaults(handler=_cmd_generate)

    demo = commands.add_parser(
        "demo", help="load the bundled NIFTY 50 sample, build everything on DuckDB, print a summary",
    )
    demo.set_defaults(handler=_cmd_demo)


    run = commands.add_parser(
        "run", help="the daily job: calendar check, validation, dbt build, ops.runs, alerts",
        description="Skip exchange holidays and weekends (NSE calendar) unless --force, validate the "
        "inputs, run `dbt build`, record the run in ops.runs and send alerts (signal digest, or the "
        "failing models and tests). Exit code 1 when anything failed. One run at a time: while another "
        "run holds the warehouse this one waits up to --wait-for-lock seconds, then does not start, "
        "records `skipped_concurrent` in ops.runs, alerts and exits with code 75.",
    )
    run.add_argument("--date", type=_iso_date, help="session date (default: today in Asia/Kolkata)")
    _add_target_argument(run, "dbt target (default: env SE_TARGET or local)")
    run.add_argument("--full-refresh", action="store_true", help="rebuild incremental models from scratch")
    run.add_argument("--force", action="store_true", help="run even when the date is not a trading session")
    run.add_argument("--dry-run", action="store_true", help="say what would run, change nothing")
    run.add_argument("--select", help="dbt node selection (default: the whole project)")
    run.add_argument("--skip-validation", action="store_true", help="do not check inputs before building")
    run.add_argument("--wait-for-lock", type=_seconds, metavar="SECONDS",
                     help="wait this long for a run that holds the warehouse (default: env "
                     "SE_RUN_LOCK_WAIT_SECONDS, else 0: exit 75 at once)")
    run.set_defaults(handler=_cmd_run)

    validate = commands.add_parser(
        "validate", help="pre-market check: source freshness, expected symbols, data-quality warnings",
        description="Check source freshness (dbt source freshness), that every universe symbol has a "
        "price for the date, and the data_quality_warnings model. Alerts on problems; exit code 1 then.",
    )
    validate.add_argument("--date", type=_iso_date, help="session date (default: today in Asia/Kolkata)")
    _add_target_argument(validate, "dbt target (default: env SE_TARGET or local)")
    validate.add_argument("--skip-freshness", action="store_true", help="skip dbt source freshness")
    validate.add_argument("--no-alert", action="store_true", help="print problems only, send nothing")
    validate.set_defaults(handler=_cmd_validate)

    serve = commands.add_parser(
        "serve", help="HTTP service: /health, POST /run, /signals, /performance",
        description="Serve GET /health, POST /run (bearer token from env SE_RUN_TOKEN or a Google-signed "
        "OIDC token for audience SE_OIDC_AUDIENCE), GET /signals?date=, GET /performance?strategy=.",
    )
    serve.add_argument("--host", default=os.environ.get("SE_HOST", "0.0.0.0"), help="bind address")
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8080")),
                       help="port (default: env PORT or 8080)")
    _add_target_argument(serve, "dbt target the service reads and runs")
    serve.set_defaults(handler=_cmd_serve)

    report = commands.add_parser(
        "report", help="write a self-contained HTML report to reports/ (optionally e-mail it)",
        description="Equity curves, drawdowns, signal counts, the day's signals, per-strategy performance "
        "and a data-quality summary as one HTML file with inline SVG charts.",
    )
    report.add_argument("--date", type=_iso_date, help="report date (default: today in Asia/Kolkata)")
    _add_target_argument(report, "dbt target to read")
    report.add_argument("--send", action="store_true", help="e-mail it through the configured mailto channels")
    report.set_defaults(handler=_cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args))


def entry_point() -> None:
    """The `strategy-engine` command: `main`, then an exit that skips the interpreter's teardown.

    Once a command has imported dbt and parsed the project, tearing down its objects module by
    module took 0.6 s of a 10 s daily job (docs/BENCHMARKS.md). Every command closes its warehouse
    connections itself, and no atexit handler of ours or of dbt's does work that matters here, so
    after flushing the log handlers and the standard streams the process ends at once.
    An exception no command expected is one JSON log line (traceback in its `exception` field) and
    exit code 1, like every other log line on stderr; so is one in any other thread.
    """
    from strategy_engine.structured_log import install_exception_hooks, log_exception

    install_exception_hooks()
    try:
        code = main()
    except SystemExit as stop:  # argparse's --help and usage errors
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
        if stop.code is not None and not isinstance(stop.code, int):
            print(stop.code, file=sys.stderr)
    except KeyboardInterrupt:
        code = 130
    except Exception:  # noqa: BLE001 - logged as JSON with its traceback, then exit 1
        log_exception(logging.getLogger("strategy_engine.cli"), "unhandled_exception",
                      command=" ".join(sys.argv[1:2]))
        code = 1
    logging.shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            code = code or 1
    os._exit(code)


if __name__ == "__main__":
    entry_point()
