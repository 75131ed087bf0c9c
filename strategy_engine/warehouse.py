"""Connections to the local DuckDB warehouse and the shape of its source tables."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import duckdb

from strategy_engine.paths import duckdb_path
from strategy_engine.source_tables import SOURCE_NAME, duckdb_ddl

SOURCE_SCHEMA = SOURCE_NAME

# The tables' shape is defined once, in models/staging/__sources.yml (strategy_engine/source_tables.py);
# dbt creates the same tables when a build runs on a warehouse that was never loaded.
SOURCE_DDL = duckdb_ddl(SOURCE_SCHEMA)


T = TypeVar("T")


def retry_while_locked(action: Callable[[], T], seconds: float, pause: float = 0.1) -> T:
    """`action()`, tried again for up to `seconds` while another process holds the DuckDB file it
    opens: DuckDB does not wait for a file lock, it fails at once. Any other error is raised."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            return action()
        except duckdb.IOException as error:
            if "lock" not in str(error).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(pause)


def connect(path: Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    target = path or duckdb_path()
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(target), read_only=read_only)


# The numbers are stored as loaded, volume included, so that an infinite, NaN or out-of-range value
# reaches staging, which rejects the row with a reason (non_finite_value) instead of the load
# failing or the value being lost. Warehouses created before that stored volume as bigint.
_VOLUME_AS_LOADED = f"""
alter table {SOURCE_SCHEMA}.market_data alter column volume set data type double
"""


def ensure_source_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SOURCE_DDL)
    volume_types = con.execute(
        "select data_type from information_schema.columns "
        "where table_schema = ? and table_name = 'market_data' and column_name = 'volume'", [SOURCE_SCHEMA]
    ).fetchall()
    if volume_types and volume_types[0][0].upper() != "DOUBLE":
        con.execute(_VOLUME_AS_LOADED)
