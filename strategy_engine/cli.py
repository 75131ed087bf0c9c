"""`strategy-engine`: the command line of the thin runner."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from strategy_engine import __version__


def _cmd_load(args: argparse.Namespace) -> int:
    from strategy_engine.loading import LoadError, load_paths
    from strategy_engine.warehouse import connect

    try:
        with connect() as con:
            report = load_paths(con, [Path(p) for p in args.paths], args.format)
    except LoadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(report.summary())
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="strategy-engine",
        description="Warehouse-native strategy engine: load data, build indicators, signals and "
        "backtests with dbt, send alerts and reports.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    load = commands.add_parser(
        "load", help="load end-of-day files into the local warehouse",
        description="Load CSV files (or zips of them) into trading_data.market_data / corporate_actions. "
        "Idempotent: identical rows change nothing, a changed row replaces the stored one.",
    )
    load.add_argument("paths", nargs="+", help="CSV or zip files")
    load.add_argument(
        "--format", default="auto",
        choices=["auto", "ohlcv-csv", "nse-history", "nse-bhavcopy", "nse-udiff", "corporate-actions"],
        help="input format (default: detect from the first line)",
    )
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
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return int(args.handler(args))


if __name__ == "__main__":
    raise SystemExit(main())
