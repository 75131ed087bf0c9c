"""The operations tables: `ops.runs` (one row per job run) and `ops.alert_log` (one row per sent alert).

They live in the local DuckDB warehouse (env SE_OPS_DUCKDB_PATH overrides the file), written only
by the runner, never by dbt. Connections are short-lived so dbt can hold the file while it builds.
Do not name a dedicated file `ops.duckdb`: DuckDB names the catalog after the file, and a catalog
`ops` makes the schema name `ops` ambiguous.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from strategy_engine.paths import PROJECT_DIR, duckdb_path

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


def ops_path() -> Path:
    raw = os.environ.get("SE_OPS_DUCKDB_PATH")
    if not raw:
        return duckdb_path()
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_DIR / path


@contextmanager
def ops_connection(path: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    target = path or ops_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target))
    try:
        con.execute(OPS_DDL)
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


RUN_COLUMNS = [
    "run_id", "command", "run_date", "target", "status", "started_at", "finished_at", "model_timings",
    "row_counts", "failures", "message", "parse_mode", "parse_seconds", "signals_ready_seconds",
    "signal_path_seconds", "signals_ready_at",
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
                run.signals_ready_seconds, run.signal_path_seconds, run.signals_ready_at,
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
