"""Reading files (plain or zipped) and writing them idempotently into the source tables.

Every file is streamed (archives.py opens it, formats.py reads it in bounded chunks) into staging
tables inside the one transaction of the call; the staged rows are then classified against the
stored ones and written. A bad file fails the whole call with a LoadError and the rollback leaves the
warehouse as it was. Re-loading identical rows changes nothing; a row whose values differ from the
stored row for the same key replaces it (and refreshes loaded_at, which the incremental models watch).

The staging tables are ordinary tables of the warehouse, created and dropped inside the transaction
(so no other connection ever sees them): DuckDB writes a large uncommitted append to the database
file as it goes, so a load's memory stays flat whatever the size of its files.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import duckdb
import pandas as pd
import pyarrow as pa

from strategy_engine.loading.archives import ArchiveLimits, Source, iter_sources
from strategy_engine.loading.errors import LoadError
from strategy_engine.loading.formats import (
    CORPORATE_ACTION_COLUMNS,
    FAST_READERS,
    MARKET_COLUMNS,
    MARKET_SCHEMA,
    MAX_LINE_BYTES,
    NotFast,
    Tally,
    detect_format,
    locate_bad_row,
    row_chunks,
)
from strategy_engine.source_tables import duckdb_staging_ddl, source_table
from strategy_engine.warehouse import SOURCE_SCHEMA, ensure_source_tables

FORMATS = ("auto", "ohlcv-csv", "nse-history", "nse-bhavcopy", "nse-udiff", "corporate-actions")


@dataclass
class LoadReport:
    files: int = 0
    rows_read: int = 0
    inserted: int = 0
    replaced: int = 0
    unchanged: int = 0
    skipped_non_equity: int = 0
    corporate_actions: int = 0
    replaced_keys: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (
            f"{self.files} file(s), {self.rows_read} row(s) read: {self.inserted} inserted, "
            f"{self.replaced} replaced, {self.unchanged} unchanged"
        )
        if self.skipped_non_equity:
            text += f", {self.skipped_non_equity} non-equity row(s) skipped"
        if self.corporate_actions:
            text += f", {self.corporate_actions} corporate action(s)"
        return text


class Sink(Protocol):
    """Where the chunks of a load go: the DuckDB staging tables, or frames for the BigQuery loader."""

    def add_market(self, chunks: Iterator[pa.Table | pd.DataFrame], file_no: int, source_file: str) -> int:
        """Consume one file's chunks (an error of the reader is raised after what came before is kept)."""
        ...

    def add_actions(self, chunk: pd.DataFrame, file_no: int, source_file: str) -> None: ...

    def discard(self, file_no: int) -> None: ...


def _first_line(source: Source) -> str:
    """The file's first line (decoded); LoadError "empty file" when the whole file is blank."""
    with source.open() as stream:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        try:
            first = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise LoadError(source.name, f"not UTF-8 text (byte {raw[error.start]:#x}); re-save the file as UTF-8",
                            1) from None
        if first.strip():
            return first
        while raw:
            raw = stream.readline(MAX_LINE_BYTES + 1)
            if raw.strip():
                return first
    raise LoadError(source.name, "empty file")


def _header_cells(first: str) -> list[str] | None:
    """The first line's cells when the fast reader can take it as one line (no quoted line break)."""
    text = first.lstrip("\ufeff").rstrip("\r\n")
    if text.count('"') % 2 or not text.strip():
        return None
    try:
        return next(csv.reader([text]), None)
    except csv.Error:
        return None


def read_source(source: Source, fmt: str, file_no: int, sink: Sink) -> tuple[int, int, int]:
    """Stream one file into `sink`; returns (market rows, corporate actions, non-equity rows skipped)."""
    first = _first_line(source)
    file_format = detect_format(first, source.name) if fmt == "auto" else fmt
    source_file = Path(source.name.split(":")[-1]).name
    if file_format == "corporate-actions":
        actions = 0
        with source.open() as stream:
            for frame in row_chunks(file_format, stream, source.name, Tally()):
                sink.add_actions(frame, file_no, source_file)
                actions += len(frame)
        return 0, actions, 0
    rows = 0
    tally = Tally()
    header = _header_cells(first)
    fast = FAST_READERS.get(file_format)
    done = False
    if fast is not None and header is not None:
        try:
            with pa.OSFile(str(source.path)) if source.path else source.open() as stream:
                rows = sink.add_market(fast(stream, header, source.name, tally), file_no, source_file)
            done = True
        except NotFast:
            sink.discard(file_no)
            # where the fast reader stopped, the row parser names the line of what is wrong; when
            # nothing is, it reads the whole file again from its first line
            with source.open() as stream:
                locate_bad_row(file_format, stream, source.name, tally.fast_rows)
            rows, tally = 0, Tally()
    if not done:
        with source.open() as stream:
            rows = sink.add_market(row_chunks(file_format, stream, source.name, tally), file_no, source_file)
    if rows == 0 and tally.skipped_non_equity == 0:
        raise LoadError(source.name, "no data rows")
    return rows, 0, tally.skipped_non_equity


def read_paths(paths: Iterable[Path], fmt: str, sink: Sink, limits: ArchiveLimits | None = None) -> LoadReport:
    """Stream every file of every path into `sink`; the report's counts of rows read."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    limits = limits or ArchiveLimits.from_env()
    report = LoadReport()
    for path in paths:
        for source in iter_sources(Path(path), limits):
            report.files += 1
            market, actions, skipped = read_source(source, fmt, report.files, sink)
            report.rows_read += market + actions + skipped
            report.skipped_non_equity += skipped
    return report


class _FrameSink:
    """Chunks kept as DataFrames (the BigQuery loader uploads them in one load job per table)."""

    def __init__(self) -> None:
        self.market: list[tuple[int, pd.DataFrame]] = []
        self.actions: list[tuple[int, pd.DataFrame]] = []

    def add_market(self, chunks: Iterator[pa.Table | pd.DataFrame], file_no: int, source_file: str) -> int:
        rows = 0
        for chunk in chunks:
            frame = chunk.to_pandas(date_as_object=True) if isinstance(chunk, pa.Table) else chunk.copy()
            frame["source_file"] = source_file
            self.market.append((file_no, frame))
            rows += len(frame)
        return rows

    def add_actions(self, chunk: pd.DataFrame, file_no: int, source_file: str) -> None:
        frame = chunk.copy()
        frame["source_file"] = source_file
        self.actions.append((file_no, frame))

    def discard(self, file_no: int) -> None:
        self.market = [(number, frame) for number, frame in self.market if number != file_no]


def parse_paths(
    paths: Iterable[Path], fmt: str = "auto", limits: ArchiveLimits | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Parse every file; returns (market rows, corporate actions, files read, non-equity rows skipped)."""
    sink = _FrameSink()
    report = read_paths(paths, fmt, sink, limits)
    market = pd.concat([frame for _, frame in sink.market], ignore_index=True) if sink.market else pd.DataFrame()
    actions = pd.concat([frame for _, frame in sink.actions], ignore_index=True) if sink.actions else pd.DataFrame()
    return market, actions, report.files, report.skipped_non_equity


def check_unique_keys(market: pd.DataFrame) -> None:
    duplicated = market[market.duplicated(["symbol", "trade_date"], keep=False)]
    if duplicated.empty:
        return
    first = duplicated.iloc[0]
    files = sorted(set(duplicated["source_file"]))
    raise LoadError(
        ", ".join(files[:3]),
        f"{len(duplicated)} rows share a (symbol, trade_date) key within this load, "
        f"e.g. {first['symbol']} {pd.Timestamp(first['trade_date']).date()}; load one version of each day",
    )


STAGED_MARKET = f"{SOURCE_SCHEMA}._load_market_incoming"
STAGED_ACTIONS = f"{SOURCE_SCHEMA}._load_actions_incoming"
TARGET_MARKET = f"{SOURCE_SCHEMA}.market_data"
TARGET_ACTIONS = f"{SOURCE_SCHEMA}.corporate_actions"
# the values that decide whether a stored row is the same as an incoming one (as in bigquery.py)
COMPARED_COLUMNS = ("open", "high", "low", "close", "volume", "value", "trades")
# DuckDB's memory during a load: beyond it the staged rows go to the database file and temp files,
# so the loading process stays well under 500 MB whatever the size of its input.
LOAD_MEMORY_LIMIT = "256MB"


def _incoming_columns(table: str) -> str:
    """The source table's columns a staging table holds (all but loaded_at), in table order."""
    return ", ".join(source_table(table).column_names(include_writer_columns=False))


class _StagingSink:
    """Chunks appended to staging tables of the warehouse, inside the caller's transaction.

    When trading_data.market_data is empty (a first load), market rows go straight into it: every
    row is new, so there is nothing to classify, and one copy of the data is saved.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.direct = con.execute(f"select count(*) = 0 from (select 1 from {TARGET_MARKET} limit 1)").fetchall()[0][0]
        self._file_start: dict[int, int] = {}
        if not self.direct:
            con.execute(duckdb_staging_ddl("market_data", STAGED_MARKET, leading=(("file_no", "integer"),)))
        con.execute(duckdb_staging_ddl("corporate_actions", STAGED_ACTIONS))

    def add_market(self, chunks: Iterator[pa.Table | pd.DataFrame], file_no: int, source_file: str) -> int:
        # One INSERT per file over a stream of batches: DuckDB then writes full row groups to the
        # database file as they fill (many small INSERTs would pile up in memory until the commit).
        # A failed statement would abort the transaction, so the reader's error is kept aside, the
        # stream ends there, and the error is raised once the statement is done.
        failure: list[BaseException] = []
        rows = 0

        def batches() -> Iterator[pa.RecordBatch]:
            nonlocal rows
            try:
                for chunk in chunks:
                    table = (chunk if isinstance(chunk, pa.Table)
                             else pa.Table.from_pandas(chunk, schema=MARKET_SCHEMA, preserve_index=False))
                    rows += table.num_rows
                    yield from table.cast(MARKET_SCHEMA).to_batches()
            except BaseException as error:  # noqa: BLE001 - re-raised below, after the statement
                failure.append(error)

        columns = ", ".join(MARKET_COLUMNS)
        if self.direct and file_no not in self._file_start:
            # rows of one file are appended together: a fallback deletes from its first row id on
            self._file_start[file_no] = self.con.execute(
                f"select coalesce(max(rowid) + 1, 0) from {TARGET_MARKET}").fetchall()[0][0]
        self.con.register("load_stream", pa.RecordBatchReader.from_batches(MARKET_SCHEMA, batches()))
        try:
            if self.direct:
                self.con.execute(f"insert into {TARGET_MARKET} select {columns}, ?, current_timestamp::timestamp "
                                 "from load_stream", [source_file])
            else:
                self.con.execute(f"insert into {STAGED_MARKET} select ?, {columns}, ? from load_stream",
                                 [file_no, source_file])
        finally:
            self.con.unregister("load_stream")
        if failure:
            raise failure[0]
        return rows

    def add_actions(self, chunk: pd.DataFrame, file_no: int, source_file: str) -> None:
        self.con.register("load_chunk", chunk)
        self.con.execute(f"insert into {STAGED_ACTIONS} select {', '.join(CORPORATE_ACTION_COLUMNS)}, ? "
                         "from load_chunk", [source_file])
        self.con.unregister("load_chunk")

    def discard(self, file_no: int) -> None:
        if not self.direct:
            self.con.execute(f"delete from {STAGED_MARKET} where file_no = ?", [file_no])
        elif file_no in self._file_start:
            self.con.execute(f"delete from {TARGET_MARKET} where rowid >= ?", [self._file_start.pop(file_no)])

    def drop(self) -> None:
        for table in (STAGED_MARKET, STAGED_ACTIONS):
            self.con.execute(f"drop table if exists {table}")


def _check_unique_rows(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """The DuckDB twin of check_unique_keys, over the rows of this load."""
    # grouping on one 64-bit hash is several times faster than on (varchar, date); equal keys have
    # equal hashes, so no repeated hash means no repeated key
    if not con.execute(f"select count(*) from (select hash(symbol, trade_date) as key from {table} "
                       "group by key having count(*) > 1)").fetchall()[0][0]:
        return
    found = con.execute(f"""
        with repeated as (
            select symbol, trade_date, count(*) as copies from {table} group by all having count(*) > 1
        )
        select
            (select sum(copies) from repeated),
            (select symbol from repeated order by symbol, trade_date limit 1),
            (select trade_date from repeated order by symbol, trade_date limit 1),
            (select list(distinct source_file order by source_file)
             from {table} inner join repeated using (symbol, trade_date))
    """).fetchall()[0]
    if not found[0]:
        return
    copies, symbol, day, files = found
    raise LoadError(
        ", ".join(files[:3]),
        f"{copies} rows share a (symbol, trade_date) key within this load, "
        f"e.g. {symbol} {day}; load one version of each day",
    )


def write_market_data(con: duckdb.DuckDBPyConnection, sink: _StagingSink, report: LoadReport) -> None:
    """Classify the staged rows against the stored ones and write the new and changed ones."""
    if sink.direct:
        _check_unique_rows(con, TARGET_MARKET)
        report.inserted += con.execute(f"select count(*) from {TARGET_MARKET}").fetchall()[0][0]
        return
    _check_unique_rows(con, STAGED_MARKET)
    # one join classifies; nothing is materialised, so a re-load of unchanged rows only reads
    joined = f"""
        from {STAGED_MARKET} as incoming
        inner join {TARGET_MARKET} as existing
            on existing.symbol = incoming.symbol and existing.trade_date = incoming.trade_date
    """
    same = " and ".join(f"existing.{c} is not distinct from incoming.{c}" for c in COMPARED_COLUMNS)
    staged, matched, unchanged = con.execute(f"""
        select
            (select count(*) from {STAGED_MARKET}),
            count(*),
            count(*) filter (where {same})
        {joined}
    """).fetchall()[0]
    replaced = matched - unchanged
    report.inserted += staged - matched
    report.replaced += replaced
    report.unchanged += unchanged
    if replaced:
        report.replaced_keys += [
            (symbol, str(day))
            for symbol, day in con.execute(
                f"select incoming.symbol, incoming.trade_date {joined} where not ({same}) order by 1, 2"
            ).fetchall()
        ]
        con.execute(f"""
            delete from {TARGET_MARKET}
            where (symbol, trade_date) in (select (incoming.symbol, incoming.trade_date) {joined} where not ({same}))
        """)
    if staged > unchanged:
        # after the delete, the stored rows that still match an incoming key are the unchanged ones
        con.execute(f"""
            insert into {TARGET_MARKET}
            select {_incoming_columns("market_data")}, current_timestamp::timestamp
            from {STAGED_MARKET} as incoming
            where not exists (
                select 1 from {TARGET_MARKET} as existing
                where existing.symbol = incoming.symbol and existing.trade_date = incoming.trade_date
            )
        """)


def write_corporate_actions(con: duckdb.DuckDBPyConnection, report: LoadReport) -> None:
    con.execute(f"""
        delete from {TARGET_ACTIONS}
        where (symbol, ex_date, action) in (select (symbol, ex_date, action) from {STAGED_ACTIONS})
          and (symbol, ex_date, action, price_factor) not in (
              select (symbol, ex_date, action, price_factor) from {STAGED_ACTIONS})
    """)
    inserted = con.execute(f"""
        insert into {TARGET_ACTIONS}
        select {_incoming_columns("corporate_actions")}, current_timestamp::timestamp
        from {STAGED_ACTIONS}
        where (symbol, ex_date, action) not in (
            select (symbol, ex_date, action) from {TARGET_ACTIONS})
    """).fetchall()
    report.corporate_actions += inserted[0][0] if inserted else 0


def load_paths(
    con: duckdb.DuckDBPyConnection, paths: Iterable[Path], fmt: str = "auto", limits: ArchiveLimits | None = None,
) -> LoadReport:
    """Load every file of `paths` in one transaction; LoadError (and nothing written) on any bad input."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    ensure_source_tables(con)
    con.execute("set enable_progress_bar = false")
    memory_limit, insertion_order = con.execute(
        "select current_setting('memory_limit'), current_setting('preserve_insertion_order')").fetchall()[0]
    con.execute(f"set memory_limit = '{LOAD_MEMORY_LIMIT}'")
    # the source tables have no order; letting DuckDB append out of order makes the INSERT parallel
    con.execute("set preserve_insertion_order = false")
    try:
        con.execute("begin transaction")
        try:
            sink = _StagingSink(con)
            report = read_paths(paths, fmt, sink, limits)
            # hand the reader's freed buffers back before DuckDB's joins and aggregates need memory
            pa.default_memory_pool().release_unused()
            write_market_data(con, sink, report)
            write_corporate_actions(con, report)
            sink.drop()
            con.execute("commit")
        except BaseException:
            con.execute("rollback")
            raise
    finally:
        con.execute(f"set memory_limit = '{memory_limit}'")
        con.execute(f"set preserve_insertion_order = {str(insertion_order).lower()}")
    return report
