"""`make demo`: load the bundled sample, build the whole project on DuckDB, say what was built."""

from __future__ import annotations

import duckdb

from strategy_engine.dbt_invoke import run_dbt
from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.published import publish
from strategy_engine.schemas import INTERMEDIATE_SCHEMA, MARTS_SCHEMA
from strategy_engine.warehouse import connect

# Always listed first; then every table and view of the marts schema, so each helper's marts
# show up without being registered here.
SUMMARY_TABLES = [
    (INTERMEDIATE_SCHEMA, "int_market_data_adjusted"),
]


def _relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    present = con.execute(
        "select table_schema, table_name from information_schema.tables order by table_schema, table_name"
    ).fetchall()
    marts = [(schema, name) for schema, name in present if schema == MARTS_SCHEMA]
    return [relation for relation in SUMMARY_TABLES if relation in present] + marts


def summary_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Rows per table, latest date, rejected rows by reason and warnings by type."""
    relations = _relations(con)
    lines = ["What was built (rows per table):"]
    for schema, name in relations:
        rows = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
        lines.append(f"  {schema + '.' + name:<46} {rows:>12,}")
    if (INTERMEDIATE_SCHEMA, "int_market_data_adjusted") in relations:
        first, latest, symbols = con.execute(
            "select min(trade_date), max(trade_date), count(distinct symbol)"
            f' from "{INTERMEDIATE_SCHEMA}".int_market_data_adjusted'
        ).fetchone()
        lines.append(f"Market data: {symbols} symbols, {first} to {latest} (latest trade date {latest})")
    for name, column, label in (
        ("market_data_rejected", "reject_reason", "Rejected rows"),
        ("data_quality_warnings", "warning_type", "Data-quality warnings"),
    ):
        if (MARTS_SCHEMA, name) not in relations:
            continue
        counts = con.execute(
            f'select {column}, count(*) from "{MARTS_SCHEMA}"."{name}" group by 1 order by 2 desc, 1'
        ).fetchall()
        total = sum(count for _, count in counts)
        detail = ", ".join(f"{kind} {count:,}" for kind, count in counts)
        lines.append(f"{label}: {total:,}" + (f" ({detail})" if detail else ""))
    return lines


def print_summary() -> None:
    with connect(read_only=True) as con:
        print()
        print("\n".join(summary_lines(con)))


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
    # The report below and `strategy-engine serve` read the published snapshot.
    publish()
    print("[3/3] summary", flush=True)
    print_summary()
    from strategy_engine.daily_run import show_demo_outputs

    show_demo_outputs()
    return 0
