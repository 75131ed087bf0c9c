"""Connections to the local DuckDB warehouse and the shape of its source tables."""

from __future__ import annotations

from pathlib import Path

import duckdb

from strategy_engine.paths import duckdb_path

SOURCE_SCHEMA = "trading_data"

# Mirrors macros/warehouse/create_source_tables.sql (the dbt side creates the same tables when a
# build runs on a warehouse that was never loaded).
SOURCE_DDL = """
create schema if not exists trading_data;
create table if not exists trading_data.market_data (
    symbol varchar, trade_date date, open double, high double, low double, close double,
    volume bigint, value double, trades bigint, series varchar, exchange varchar,
    source_file varchar, loaded_at timestamp
);
create table if not exists trading_data.corporate_actions (
    symbol varchar, ex_date date, action varchar, ratio_from double, ratio_to double,
    price_factor double, source_file varchar, loaded_at timestamp
);
"""


def connect(path: Path | None = None, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    target = path or duckdb_path()
    if not read_only:
        target.parent.mkdir(parents=True, exist_ok=True)
    return duckdb.connect(str(target), read_only=read_only)


def ensure_source_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(SOURCE_DDL)
