"""The operations tables: `ops.runs` (one row per job run) and `ops.alert_log` (one row per sent alert).

They live in a DuckDB file of their own, written only by the runner, never by dbt: by default
`<warehouse stem>_ops.duckdb` next to the local warehouse (env SE_OPS_DUCKDB_PATH overrides it; on
Cloud Run and in GitHub Actions it is a persisted file, docs/DEPLOY.md). Not the warehouse file
itself: while one run's dbt holds the warehouse, a second run must still record that it did not
run, and readers must still see the history. Connections are short-lived; a connection that meets
another process's brief lock on the file retries for a few seconds. A store created where a
warehouse already holds ops tables (the layout before issue 14) starts with their rows.
Do not name a dedicated file `ops.duckdb`: DuckDB names the catalog after the file, and a catalog
`ops` makes the schema name `ops` ambiguous.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from strategy_engine.paths import PROJECT_DIR, duckdb_path
from strategy_engine.warehouse import retry_while_locked

OPS_DDL = """
create schema if not exists ops;
create table if not exists ops.runs (
    run_id varchar primary key,
    command varchar not null,
    run_date date not null,
    target varchar not null,
    status varchar not null,
    started_at timestamp not null,
    finished_at timestamp,
    model_timings varchar,
    row_counts varchar,
    failures varchar,
    message varchar
);
-- Added by issue 13 (signals first); `add column if not exists` upgrades an existing ops.runs.
alter table ops.runs add column if not exists parse_mode varchar;
alter table ops.runs add column if not exists parse_seconds double;
alter table ops.runs add column if not exists signals_ready_seconds double;
alter table ops.runs add column if not exists signal_path_seconds double;
alter table ops.runs add column if not exists signals_ready_at timestamp;
-- Added by issue 14 (one run at a time): which process ran it, so a message can name it.
alter table ops.runs add column if not exists host varchar;
alter table ops.runs add column if not exists pid integer;
create table if not exists ops.alert_log (
    alert_date date not null,
    kind varchar not null,
    channel varchar not null,
    status varchar not null,
    attempts integer not null,
    last_error varchar,
    run_id varchar,
    updated_at timestamp not null,
    reported_in_run varchar,
    primary key (alert_date, kind, channel)
);
"""


logger = logging.getLogger("strategy_engine.ops")
# How long a connection waits for another process's short-lived connection to the file.
LOCKED_FILE_RETRY_SECONDS = 15.0


def default_ops_path(warehouse: Path) -> Path:
    """The operations store that belongs to a local warehouse file: `<stem>_ops.duckdb` beside it."""
    return warehouse.with_name(f"{warehouse.stem}_ops.duckdb")


def ops_path() -> Path:
    raw = os.environ.get("SE_OPS_DUCKDB_PATH")
    if not raw:
        return default_ops_path(duckdb_path())
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_DIR / path


def _adopt_warehouse_history(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    """Copy ops.runs and ops.alert_log from a warehouse that kept them (before issue 14) into a new
    store. Skipped, with a log line, when the warehouse is busy: the history then stays there."""
    if not warehouse.exists():
        return
    try:
        con.execute(f"attach '{warehouse}' as warehouse_history (read_only)")
    except duckdb.Error as error:
        logger.warning("ops history not copied from %s: %s", warehouse, error)
        return
    try:
        tables = {name for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'warehouse_history' "
            "and schema_name = 'ops'").fetchall()}
        for table in ("runs", "alert_log"):
            if table in tables:
                con.execute(f"insert or ignore into ops.{table} by name select * from warehouse_history.ops.{table}")
    finally:
        con.execute("detach warehouse_history")


@contextmanager
def ops_connection(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    target = path or ops_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    is_new = not target.exists()
    con = retry_while_locked(lambda: duckdb.connect(str(target)), LOCKED_FILE_RETRY_SECONDS)
    try:
        con.execute(OPS_DDL)
        warehouse = duckdb_path()
        if is_new and path is None and target == default_ops_path(warehouse):
            _adopt_warehouse_history(con, warehouse)
        yield con
    finally:
        con.close()


def new_run_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ-") + uuid.uuid4().hex[:8]


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class RunRecord:
    run_id: str
    command: str
    run_date: date
    target: str
    status: str = "running"
    started_at: datetime = field(default_factory=utc_now)
    finished_at: datetime | None = None
    model_timings: dict[str, float] = field(default_factory=dict)
    row_counts: dict[str, int] = field(default_factory=dict)
    failures: list[dict] = field(default_factory=list)
    message: str = ""
    # How dbt parsed ('unchanged', 'partial', 'full') and how long it took.
    parse_mode: str | None = None
    parse_seconds: float | None = None
    # Wall seconds from the start of the build step until the digest was published, the sum of
    # the signal step's node execution times, and the UTC time the digest was published.
    signals_ready_seconds: float | None = None
    signal_path_seconds: float | None = None
    signals_ready_at: datetime | None = None
    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)


RUN_COLUMNS = [
    "run_id", "command", "run_date", "target", "status", "started_at", "finished_at", "model_timings",
    "row_counts", "failures", "message", "parse_mode", "parse_seconds", "signals_ready_seconds",
    "signal_path_seconds", "signals_ready_at", "host", "pid",
]


def record_run(run: RunRecord, path: Path | None = None) -> None:
    """Insert or update the run's row (called at start and at the end, so a crash leaves 'running')."""
    with ops_connection(path) as con:
        placeholders = ", ".join("?" for _ in RUN_COLUMNS)
        con.execute(
            f"insert or replace into ops.runs ({', '.join(RUN_COLUMNS)}) values ({placeholders})",
            [
                run.run_id, run.command, run.run_date, run.target, run.status, run.started_at,
                run.finished_at, json.dumps(run.model_timings), json.dumps(run.row_counts),
                json.dumps(run.failures), run.message, run.parse_mode, run.parse_seconds,
                run.signals_ready_seconds, run.signal_path_seconds, run.signals_ready_at, run.host, run.pid,
            ],
        )


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    command: str
    run_date: date
    status: str
    finished_at: datetime | None


def last_run(command: str = "run", status: str | None = None, path: Path | None = None) -> RunSummary | None:
    """The latest finished run of `command` (optionally with `status`), by finish time."""
    with ops_connection(path) as con:
        row = con.execute(
            """
            select run_id, command, run_date, status, finished_at from ops.runs
            where command = ? and finished_at is not null and (? is null or status = ?)
            order by finished_at desc limit 1
            """,
            [command, status, status],
        ).fetchone()
    return RunSummary(*row) if row else None


def alert_already_sent(alert_date: date, kind: str, channel: str, path: Path | None = None) -> bool:
    with ops_connection(path) as con:
        row = con.execute(
            "select status from ops.alert_log where alert_date = ? and kind = ? and channel = ?",
            [alert_date, kind, channel],
        ).fetchone()
    return bool(row) and row[0] == "sent"


def record_alert(alert_date: date, kind: str, channel: str, status: str, attempts: int,
                 error: str | None, run_id: str | None, path: Path | None = None) -> None:
    with ops_connection(path) as con:
        con.execute(
            "insert or replace into ops.alert_log values (?, ?, ?, ?, ?, ?, ?, ?, null)",
            [alert_date, kind, channel, status, attempts, error, run_id, utc_now()],
        )


@dataclass(frozen=True)
class FailedAlert:
    alert_date: date
    kind: str
    channel: str
    attempts: int
    last_error: str | None


def take_unreported_alert_failures(run_id: str, path: Path | None = None) -> list[FailedAlert]:
    """Failed deliveries not yet reported; marks them reported by `run_id` so each is reported once."""
    with ops_connection(path) as con:
        rows = con.execute(
            """
            select alert_date, kind, channel, attempts, last_error from ops.alert_log
            where status = 'failed' and reported_in_run is null order by alert_date, kind, channel
            """
        ).fetchall()
        con.execute(
            "update ops.alert_log set reported_in_run = ? where status = 'failed' and reported_in_run is null",
            [run_id],
        )
    return [FailedAlert(*row) for row in rows]


def mark_abandoned_runs(found_by: str, path: Path | None = None) -> list[str]:
    """Runs that never recorded their end (finished_at still NULL: a run records it last, whatever
    its status so far), marked 'abandoned'. Called by a run that holds the run lock
    (strategy_engine/run_lock.py): no other run can be live then, so each such row is a run that was
    killed or crashed. Returns their run ids."""
    with ops_connection(path) as con:
        rows = con.execute(
            "select run_id from ops.runs where finished_at is null and run_id != ? order by started_at", [found_by]
        ).fetchall()
        con.execute(
            "update ops.runs set status = 'abandoned', finished_at = ?, "
            "message = 'its process ended without recording an end (killed or crashed); found by run ' || ? "
            "where finished_at is null and run_id != ?",
            [utc_now(), found_by, found_by],
        )
    return [run_id for (run_id,) in rows]
