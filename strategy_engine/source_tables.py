"""The shape of the source tables (trading_data.market_data, corporate_actions), read from their one
definition, models/staging/__sources.yml: the column names, each column's portable data_type, its
type on each warehouse (the source's meta.warehouse_types) and BigQuery's table layout (a table's
meta.bigquery). dbt reads the same YAML through its graph (macros/warehouse/create_source_tables.sql),
so the loaders' DDL, their staging tables and BigQuery's load-job schemas cannot drift from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from strategy_engine.paths import PROJECT_DIR

SOURCES_YAML = PROJECT_DIR / "models/staging/__sources.yml"
# Set by the writer (the loader's INSERT / MERGE), not part of an incoming file's rows.
WRITER_COLUMNS = ("loaded_at",)
# Set by the loader from the file's name: not among a parser's columns.
LOADER_COLUMNS = ("source_file",)


@dataclass(frozen=True)
class SourceTable:
    name: str
    columns: tuple[tuple[str, str], ...]
    """(column, portable data_type) in table order."""
    warehouse_types: dict[str, dict[str, str]]
    bigquery: dict[str, Any]

    def typed_columns(self, warehouse: str, include_writer_columns: bool = True) -> tuple[tuple[str, str], ...]:
        """(column, the warehouse's type) in table order; without loaded_at for staging tables."""
        return tuple(
            (column, self.warehouse_types[portable][warehouse])
            for column, portable in self.columns
            if include_writer_columns or column not in WRITER_COLUMNS
        )

    def column_names(self, include_writer_columns: bool = True) -> tuple[str, ...]:
        return tuple(column for column, _ in self.typed_columns("duckdb", include_writer_columns))

    def parsed_columns(self, engine: str = "duckdb") -> tuple[tuple[str, str], ...]:
        """(column, type) of the rows a parser yields: without source_file and loaded_at."""
        return tuple((column, kind) for column, kind in self.typed_columns(engine, include_writer_columns=False)
                     if column not in LOADER_COLUMNS)


def read_yaml(path: Path) -> Any:
    """A YAML file of the project, with libyaml's loader when present (5x faster: every daily run
    and report reads dbt_project.yml and the sources at import)."""
    return yaml.load(Path(path).read_text(), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506


def _config_meta(entry: dict[str, Any]) -> dict[str, Any]:
    return dict((entry.get("config") or {}).get("meta") or {})


@lru_cache(maxsize=4)
def source_tables(path: Path = SOURCES_YAML) -> dict[str, SourceTable]:
    """Every table of the trading_data source, by name, as __sources.yml defines it."""
    document = read_yaml(path)
    [source] = document["sources"]
    warehouse_types = _config_meta(source)["warehouse_types"]
    tables = {}
    for table in source["tables"]:
        columns = tuple((column["name"], column["data_type"]) for column in table["columns"])
        tables[table["name"]] = SourceTable(
            table["name"], columns, warehouse_types, dict(_config_meta(table).get("bigquery") or {}),
        )
    return tables


@lru_cache(maxsize=1)
def source_name() -> str:
    """The source's name, which is also its schema's name (trading_data)."""
    [source] = read_yaml(SOURCES_YAML)["sources"]
    return str(source["name"])


SOURCE_NAME = source_name()


def source_table(name: str) -> SourceTable:
    return source_tables()[name]


def _column_list(columns: tuple[tuple[str, str], ...], not_null: tuple[str, ...] = ()) -> str:
    return ", ".join(f"{column} {kind}" + (" not null" if column in not_null else "") for column, kind in columns)


def duckdb_ddl(schema: str) -> str:
    """The schema and every source table, created when missing (DuckDB)."""
    statements = [f"create schema if not exists {schema}"]
    for table in source_tables().values():
        statements.append(
            f"create table if not exists {schema}.{table.name} ({_column_list(table.typed_columns('duckdb'))})"
        )
    return ";\n".join(statements) + ";\n"


def duckdb_staging_ddl(table_name: str, staging_table: str, leading: tuple[tuple[str, str], ...] = ()) -> str:
    """A loader's staging table for `table_name`: `leading` columns, then the source's columns
    without the ones the writer sets."""
    columns = leading + source_table(table_name).typed_columns("duckdb", include_writer_columns=False)
    return f"create or replace table {staging_table} ({_column_list(columns)})"


def bigquery_ddl(dataset: str, location: str) -> list[str]:
    """The dataset and every source table with its partitioning and clustering (BigQuery);
    `dataset` is the quoted `project`.dataset."""
    statements = [f"create schema if not exists {dataset} options (location = '{location}')"]
    for table in source_tables().values():
        layout = table.bigquery
        statement = (
            f"create table if not exists {dataset}.{table.name} (\n    "
            + _column_list(table.typed_columns("bigquery"), tuple(layout.get("not_null") or ())).replace(
                ", ", ",\n    ")
            + "\n)"
        )
        if layout.get("partition_by"):
            statement += f"\npartition by {layout['partition_by']}"
        if layout.get("cluster_by"):
            statement += f"\ncluster by {', '.join(layout['cluster_by'])}"
        if layout.get("description"):
            description = str(layout["description"]).replace("\\", "\\\\").replace("'", "\\'")
            statement += f"\noptions (description = '{description}')"
        statements.append(statement)
    return statements


def bigquery_staging_schema(table_name: str) -> tuple[tuple[str, str], ...]:
    """(column, BigQuery type) of a load job's staging table: the source's columns without the ones
    the MERGE sets, types upper-case as the client library names them."""
    return tuple(
        (column, kind.upper())
        for column, kind in source_table(table_name).typed_columns("bigquery", include_writer_columns=False)
    )
