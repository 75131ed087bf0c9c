"""`make demo`: load the bundled sample, build the whole project on DuckDB, say what was built."""

from __future__ import annotations

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect

SUMMARY_TABLES = [
    ("staging", "stg_market_data"),
    ("strategy_data", "market_data_rejected"),
]


def print_summary() -> None:
    with connect(read_only=True) as con:
        present = {
            (schema, name)
            for schema, name in con.execute(
                "select table_schema, table_name from information_schema.tables"
            ).fetchall()
        }
        print("\nWhat was built:")
        for schema, name in SUMMARY_TABLES:
            if (schema, name) not in present:
                continue
            rows = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            print(f"  {schema}.{name:<28} {rows:>10,} rows")
        latest = con.execute("select max(trade_date) from staging.stg_market_data").fetchone()[0]
        print(f"  latest trade date: {latest}")


def run_demo() -> int:
    print(f"[1/3] loading the bundled sample {SAMPLE_MARKET_DATA.name} ...", flush=True)
    with connect() as con:
        report = load_paths(con, [SAMPLE_MARKET_DATA])
    print(f"      {report.summary()}", flush=True)
    print("[2/3] dbt seed + build on DuckDB ...", flush=True)
    outcome = run_dbt(["build"])
    if not outcome.success:
        print("dbt build failed:", outcome.error or "")
        for failure in outcome.failures:
            print(f"  {failure['unique_id']}: {failure.get('message')}")
        return 1
    print("[3/3] summary", flush=True)
    print_summary()
    from strategy_engine.daily_run import show_demo_outputs

    show_demo_outputs()
    return 0
