"""The published snapshot: what the HTTP read endpoints, /health and the report read on DuckDB.

DuckDB lets one process hold a database file, and dbt holds the warehouse for a whole build, so a
reader of the warehouse fails (or sees a half-built project) while a run writes it. After each
successful build the runner copies what readers need into a separate DuckDB file, written under a
temporary name and moved into place with os.replace: a reader opens either the previous complete
snapshot or the new one, never the warehouse itself. BigQuery targets have no snapshot; their
reads go to BigQuery.

Why one DuckDB file and not Parquet files: one os.replace swaps the whole state at once (several
Parquet files would need a directory swap or a pointer file to change together), and the readers
keep running the same fixed queries on the same schema.table names.

Readers attach the file read-only to a fresh in-memory database (open_snapshot) instead of
duckdb.connect(path): the duckdb module shares one database instance per path while any
connection to it is open, so under steady traffic connect(path) kept serving the replaced file.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from strategy_engine import ops
from strategy_engine.marts import DUCKDB_TARGETS
from strategy_engine.paths import duckdb_path, published_path
from strategy_engine.schemas import INTERMEDIATE_SCHEMA, MARTS_SCHEMA
from strategy_engine.structured_log import log_event
from strategy_engine.warehouse import retry_while_locked

logger = logging.getLogger("strategy_engine.published")

SNAPSHOT_ALIAS = "snapshot"
# One row: which run published the snapshot, when, and the latest trade date of its prices.
INFO_TABLE = ("main", "snapshot_info")
NO_SNAPSHOT = "no published data yet; run strategy-engine run"


@dataclass(frozen=True)
class PublishedTable:
    schema: str
    table: str
    # Rows readers never ask for are left out; None publishes every row.
    where: str | None = None


# What strategy_engine/marts.py's presentation queries read (signals_on, signal_counts,
# performance_for, portfolio_equity, portfolio_drawdown, rejected_summary, warnings_summary,
# data_quality_warnings_on).
# The report charts portfolio equity only: the per-symbol rows are 98 % of equity_curve (40M rows
# at 2,000 symbols x 20 years) and stay in the warehouse.
PUBLISHED_TABLES = [
    PublishedTable(MARTS_SCHEMA, "signals"),
    PublishedTable(MARTS_SCHEMA, "performance"),
    PublishedTable(MARTS_SCHEMA, "equity_curve", where="symbol = '__PORTFOLIO__'"),
    PublishedTable(MARTS_SCHEMA, "portfolio_drawdown"),
    PublishedTable(MARTS_SCHEMA, "market_data_rejected"),
    PublishedTable(MARTS_SCHEMA, "data_quality_warnings"),
]


@dataclass(frozen=True)
class Publication:
    path: Path
    rows: dict[str, int]
    seconds: float


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _remove_leftovers(destination: Path) -> None:
    """Temporary snapshots of publishers that died before their os.replace (a killed run)."""
    for leftover in destination.parent.glob(f"{destination.name}.*.tmp*"):
        pid = leftover.name.removeprefix(f"{destination.name}.").split(".")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


# Another process may hold the warehouse for a moment (a reader's short connection);
# DuckDB does not wait for a lock, so publishing tries again for a few seconds.
LIVE_ATTACH_RETRY_SECONDS = 5.0


def _attach_live(con: duckdb.DuckDBPyConnection) -> None:
    retry_while_locked(lambda: con.execute(f"attach {_quoted(duckdb_path())} as live (read_only)"),
                       LIVE_ATTACH_RETRY_SECONDS, pause=0.25)


def publish(run_id: str | None = None, run_date: date | None = None) -> Publication:
    """Copy PUBLISHED_TABLES (those the warehouse has) into a new snapshot and swap it in."""
    started = time.perf_counter()
    destination = published_path()
    destination.parent.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(destination)
    temporary = destination.with_name(f"{destination.name}.{os.getpid()}.tmp")
    temporary.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    try:
        with duckdb.connect(str(temporary)) as con:
            _attach_live(con)
            present = set(con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'live' union all "
                "select schema_name, view_name from duckdb_views() where database_name = 'live'"
            ).fetchall())
            for table in PUBLISHED_TABLES:
                if (table.schema, table.table) not in present:
                    continue
                where = f" where {table.where}" if table.where else ""
                con.execute(f'create schema if not exists "{table.schema}"')
                con.execute(f'create table "{table.schema}"."{table.table}" as '
                            f'select * from live."{table.schema}"."{table.table}"{where}')
                rows[f"{table.schema}.{table.table}"] = con.execute(
                    f'select count(*) from "{table.schema}"."{table.table}"').fetchone()[0]
            latest = None
            if (INTERMEDIATE_SCHEMA, "int_market_data_adjusted") in present:
                latest = con.execute(
                    f"select max(trade_date) from live.{INTERMEDIATE_SCHEMA}.int_market_data_adjusted").fetchone()[0]
            con.execute(
                f'create table "{INFO_TABLE[0]}"."{INFO_TABLE[1]}" as select ?::varchar as run_id, '
                "?::date as run_date, ?::timestamp as published_at, ?::date as latest_trade_date",
                [run_id, run_date, ops.utc_now(), latest],
            )
            con.execute("detach live")
        # Closing checkpointed the file: it is complete, with no write-ahead log beside it.
        os.replace(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)
        temporary.with_name(temporary.name + ".wal").unlink(missing_ok=True)
    publication = Publication(destination, rows, round(time.perf_counter() - started, 3))
    log_event(logger, "snapshot_published", path=str(destination), rows=rows, seconds=publication.seconds)
    return publication


def publish_after_build(target: str, run: ops.RunRecord) -> None:
    """The daily job's step: publish after a successful build on DuckDB; a failure to publish
    fails the run (readers would keep serving the previous day)."""
    if run.status != "success" or target not in DUCKDB_TARGETS:
        return
    print("      publishing the read-only snapshot for readers ...", flush=True)
    try:
        publication = publish(run.run_id, run.run_date)
    except (duckdb.Error, OSError) as error:
        run.status = "failed"
        run.failures.append({"node": "publish", "status": "error", "message": str(error)[:500]})
        print(f"      publishing failed: {error}", flush=True)
        return
    print(f"      published {publication.path.name} in {publication.seconds:.2f} s", flush=True)


def open_snapshot() -> duckdb.DuckDBPyConnection | None:
    """A connection whose default catalog is the current snapshot (read-only); None without one."""
    path = published_path()
    if not path.exists():
        return None
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach {_quoted(path)} as {SNAPSHOT_ALIAS} (read_only)")
        con.execute(f"use {SNAPSHOT_ALIAS}")
    except duckdb.IOException:
        con.close()
        if not path.exists():
            return None
        raise
    return con
