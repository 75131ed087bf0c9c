"""Read-only access to the marts, for presentation only (CLI output, alerts, report, HTTP service).

Every query is fixed text with bound parameters; nothing from a request is ever spliced into SQL.
A mart another part of the project has not built yet raises MissingMart with a clear message.
DuckDB (local, ci) is read through the duckdb module; BigQuery (dev, prod) through its client.
A reader made with published=True (the HTTP service, the report) reads the last published snapshot
on DuckDB (strategy_engine/published.py), never the warehouse a run may be writing, and keeps one
snapshot for its whole life so its queries agree with each other; without a snapshot it raises
NoPublishedData. The runner itself (digest, row counts, validation) reads the live warehouse.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import duckdb

from strategy_engine.paths import default_target, duckdb_path
from strategy_engine.schemas import INTERMEDIATE_SCHEMA, MARTS_SCHEMA, SEED_SCHEMA

if TYPE_CHECKING:
    from strategy_engine.loading.bigquery import BigQueryTarget

DUCKDB_TARGETS = {"local", "ci"}


class MissingMart(LookupError):
    def __init__(self, schema: str, table: str) -> None:
        super().__init__(
            f"{schema}.{table} does not exist in the warehouse yet: build it with "
            f"`dbt build --select {table}` (or `strategy-engine run --force`)."
        )
        self.table = table


class NoPublishedData(MissingMart):
    """No snapshot has been published yet (a DuckDB target before its first successful run)."""

    def __init__(self) -> None:
        from strategy_engine.published import NO_SNAPSHOT

        LookupError.__init__(self, NO_SNAPSHOT)
        self.table = None


@dataclass
class Rows:
    columns: list[str]
    rows: list[tuple]

    def dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


class MartReader:
    """Parameterized reads; `{p:name}` in query text becomes the dialect's named parameter."""

    def __init__(self, target: str | None = None, published: bool = False) -> None:
        self.target = target or default_target()
        self.dialect = "duckdb" if self.target in DUCKDB_TARGETS else "bigquery"
        self.published = published and self.dialect == "duckdb"
        self._snapshot: duckdb.DuckDBPyConnection | None = None
        self._target: BigQueryTarget | None = None

    def __enter__(self) -> MartReader:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._snapshot is not None:
            self._snapshot.close()
            self._snapshot = None

    @contextmanager
    def _duckdb(self) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """The snapshot (opened once, held until close) or a short-lived read-only connection to
        the warehouse, which a run may need again right after (None when there is no file yet)."""
        if self.published:
            if self._snapshot is None:
                from strategy_engine.published import open_snapshot

                self._snapshot = open_snapshot()
                if self._snapshot is None:
                    raise NoPublishedData()
            yield self._snapshot
            return
        path = duckdb_path()
        if not path.exists():
            yield None
            return
        with duckdb.connect(str(path), read_only=True) as con:
            yield con

    # -- dialect plumbing -------------------------------------------------------------------
    def _relation(self, schema: str, table: str) -> str:
        if self.dialect == "duckdb":
            return f'"{schema}"."{table}"'
        target = self._bigquery_target()
        return f"`{target.project}.{target.schema(schema)}.{table}`"

    def _bigquery_target(self) -> BigQueryTarget:
        """The target's project and dataset naming, read from profiles/profiles.yml as dbt reads
        them, so `report --target dev` reads the developer's datasets, not production's."""
        if self._target is None:
            from strategy_engine.loading.bigquery import read_target

            self._target = read_target(self.target)
        return self._target

    def _bigquery_client(self) -> Any:
        from strategy_engine.loading.bigquery import make_client

        return make_client(self._bigquery_target())

    def _param(self, name: str) -> str:
        return f"${name}" if self.dialect == "duckdb" else f"@{name}"

    def columns(self, schema: str, table: str) -> list[str]:
        if self.dialect == "duckdb":
            with self._duckdb() as con:
                if con is None:
                    raise MissingMart(schema, table)
                found = con.execute(
                    "select column_name from information_schema.columns where table_catalog = current_database() "
                    "and table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
        else:
            from google.api_core.exceptions import NotFound

            try:
                found = self._bigquery(
                    f"select column_name from `{self._bigquery_target().project}"
                    f".{self._bigquery_target().schema(schema)}.INFORMATION_SCHEMA.COLUMNS` "
                    "where table_name = @t order by ordinal_position",
                    {"t": table},
                ).rows
            except NotFound as error:  # the dataset itself does not exist yet
                raise MissingMart(schema, table) from error
        if not found:
            raise MissingMart(schema, table)
        return [row[0] for row in found]

    def has(self, schema: str, table: str) -> bool:
        try:
            self.columns(schema, table)
        except MissingMart:
            return False
        return True

    def row_count(self, schema: str, table: str) -> int:
        """Rows of a table. BigQuery: the table's metadata (free, and allowed on tables that
        require a partition filter, where `select count(*)` without one is rejected)."""
        if self.dialect == "duckdb":
            return int(self.query("select count(*) from {t}", t=(schema, table)).rows[0][0])
        from google.api_core.exceptions import NotFound

        client = self._bigquery_client()
        try:
            table_info = client.get_table(self._relation(schema, table).strip("`"))
        except NotFound as error:
            raise MissingMart(schema, table) from error
        return int(table_info.num_rows or 0)

    def row_counts(self, tables: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Rows of each existing table of `tables` (missing ones are left out). DuckDB: one
        connection and one query for all of them (a connection per table cost about 0.15 s each)."""
        if self.dialect != "duckdb":
            counts = {}
            for schema, table in tables:
                try:
                    counts[(schema, table)] = self.row_count(schema, table)
                except MissingMart:
                    continue
            return counts
        with self._duckdb() as con:
            if con is None:
                return {}
            stored = set(con.execute("select table_schema, table_name from information_schema.tables "
                                     "where table_catalog = current_database()").fetchall())
            present = [pair for pair in tables if pair in stored]
            if not present:
                return {}
            counted = " union all ".join(
                f"select {i} as position, count(*) as row_count from {self._relation(*pair)}"
                for i, pair in enumerate(present))
            rows = dict(con.execute(counted).fetchall())
        return {pair: int(rows[i]) for i, pair in enumerate(present)}

    def query(self, sql_template: str, params: dict[str, Any] | None = None, **tables: tuple[str, str]) -> Rows:
        """Run a fixed query; `tables` maps {name} placeholders to (schema, table) checked to exist."""
        relations = {}
        for key, (schema, table) in tables.items():
            self.columns(schema, table)
            relations[key] = self._relation(schema, table)
        sql = sql_template.format(p=_ParamNamer(self._param), **relations)
        params = params or {}
        if self.dialect == "duckdb":
            with self._duckdb() as con:
                if con is None:
                    raise MissingMart(*next(iter(tables.values()), ("", "")))
                cursor = con.execute(sql, params) if params else con.execute(sql)
                columns = [d[0] for d in cursor.description]
                return Rows(columns, cursor.fetchall())
        return self._bigquery(sql, params)

    def _bigquery(self, sql: str, params: dict[str, Any]) -> Rows:
        from google.cloud import bigquery

        client = self._bigquery_client()
        query_params = [
            bigquery.ScalarQueryParameter(name, "DATE" if isinstance(value, date) else "STRING", value)
            for name, value in params.items()
        ]
        job = client.query(sql, job_config=bigquery.QueryJobConfig(query_parameters=query_params))
        result = job.result()
        columns = [field.name for field in result.schema]
        return Rows(columns, [tuple(row.values()) for row in result])


class _ParamNamer:
    def __init__(self, render: Any) -> None:
        self.render = render

    def __format__(self, name: str) -> str:
        return self.render(name)


def _pick(columns: Sequence[str], candidates: Sequence[str]) -> str | None:
    return next((c for c in candidates if c in columns), None)


# -- the presentation queries ---------------------------------------------------------------

def signals_on(reader: MartReader, day: date) -> Rows:
    return reader.query(
        "select * from {signals} where signal_date = {p:day} order by strategy_id, param_set_id, symbol, signal_type",
        {"day": day}, signals=(MARTS_SCHEMA, "signals"),
    )


def daily_digest(reader: MartReader, day: date) -> Rows:
    """The daily_signal_digest view for `day` (its date column is found by name)."""
    columns = reader.columns(MARTS_SCHEMA, "daily_signal_digest")
    date_column = _pick(columns, ["signal_date", "digest_date", "trade_date", "as_of_date"])
    if date_column is None:
        return reader.query("select * from {digest}", digest=(MARTS_SCHEMA, "daily_signal_digest"))
    return reader.query(
        f"select * from {{digest}} where {date_column} = {{p:day}}",
        {"day": day}, digest=(MARTS_SCHEMA, "daily_signal_digest"),
    )


def performance_for(reader: MartReader, strategy: str | None) -> Rows:
    if strategy:
        return reader.query(
            "select * from {performance} where strategy_id = {p:strategy} order by 1, 2",
            {"strategy": strategy}, performance=(MARTS_SCHEMA, "performance"),
        )
    return reader.query("select * from {performance} order by 1, 2", performance=(MARTS_SCHEMA, "performance"))


def portfolio_drawdown(reader: MartReader, until: date) -> Rows:
    """Portfolio drawdown per strategy and parameter set up to `until`, as the portfolio_drawdown
    mart computes it (performance's rule): (series, trade_date, drawdown)."""
    return reader.query(
        "select strategy_id || '/' || param_set_id as series, trade_date, drawdown "
        "from {drawdown} where trade_date <= {p:until} order by 1, 2",
        {"until": until}, drawdown=(MARTS_SCHEMA, "portfolio_drawdown"),
    )


def portfolio_equity(reader: MartReader, until: date) -> Rows:
    """Portfolio equity per strategy and parameter set up to `until`: (series, trade_date, equity).

    The date bound also satisfies BigQuery's require_partition_filter on equity_curve.
    """
    columns = reader.columns(MARTS_SCHEMA, "equity_curve")
    date_column = _pick(columns, ["trade_date", "as_of_date", "date"]) or "trade_date"
    value_column = _pick(columns, ["equity", "portfolio_value", "nav", "equity_value"]) or "equity"
    series = "strategy_id || '/' || param_set_id" if "param_set_id" in columns else "strategy_id"
    portfolio = " and symbol = '__PORTFOLIO__'" if "symbol" in columns else ""
    return reader.query(
        f"select {series} as series, {date_column} as trade_date, {value_column} as equity "
        f"from {{equity}} where {date_column} <= {{p:until}}{portfolio} order by 1, 2",
        {"until": until}, equity=(MARTS_SCHEMA, "equity_curve"),
    )


def signal_counts(reader: MartReader, until: date, days: int = 90) -> Rows:
    return reader.query(
        "select signal_date, signal_type, count(*) as signals from {signals} "
        "where signal_date <= {p:until} group by 1, 2 order by 1 desc, 2 limit " + str(int(days) * 2),
        {"until": until}, signals=(MARTS_SCHEMA, "signals"),
    )


def rejected_summary(reader: MartReader) -> Rows:
    return reader.query(
        "select reject_reason, count(*) as row_count from {rejected} group by 1 order by 2 desc",
        rejected=(MARTS_SCHEMA, "market_data_rejected"),
    )


def warnings_summary(reader: MartReader) -> Rows:
    return reader.query(
        "select warning_type, count(*) as warnings, max(trade_date) as latest from {warnings} "
        "group by 1 order by 2 desc",
        warnings=(MARTS_SCHEMA, "data_quality_warnings"),
    )


def data_quality_warnings_on(reader: MartReader, day: date) -> Rows:
    columns = reader.columns(MARTS_SCHEMA, "data_quality_warnings")
    date_column = _pick(columns, ["trade_date", "warning_date", "as_of_date"])
    if date_column is None:
        return reader.query("select * from {warnings}", warnings=(MARTS_SCHEMA, "data_quality_warnings"))
    return reader.query(
        f"select * from {{warnings}} where {date_column} = {{p:day}}",
        {"day": day}, warnings=(MARTS_SCHEMA, "data_quality_warnings"),
    )


def latest_trade_date(reader: MartReader) -> date | None:
    if reader.published:
        return publication(reader)["latest_trade_date"]
    rows = reader.query(
        "select max(trade_date) from {prices}", prices=(INTERMEDIATE_SCHEMA, "int_market_data_adjusted")).rows
    return rows[0][0] if rows else None


def symbols_on(reader: MartReader, day: date) -> set[str]:
    rows = reader.query(
        "select distinct symbol from {prices} where trade_date = {p:day}", {"day": day},
        prices=(INTERMEDIATE_SCHEMA, "int_market_data_adjusted"),
    ).rows
    return {row[0] for row in rows}


def universe(reader: MartReader) -> set[str]:
    return {row[0] for row in reader.query("select symbol from {u}", u=(SEED_SCHEMA, "symbol_universe")).rows}


def publication(reader: MartReader) -> dict[str, Any]:
    """The published snapshot's run_id, run_date, published_at and latest_trade_date."""
    from strategy_engine.published import INFO_TABLE

    return reader.query("select * from {info}", info=INFO_TABLE).dicts()[0]
