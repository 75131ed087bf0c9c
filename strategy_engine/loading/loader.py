"""Reading files (plain or zipped) and writing them idempotently into the source tables.

All files of one call are parsed before anything is written, and the write is one transaction:
a bad file fails the whole call with a LoadError and leaves the warehouse as it was.
Re-loading identical rows changes nothing; a row whose values differ from the stored row for the
same key replaces it (and refreshes loaded_at, which the incremental models watch).
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from strategy_engine.loading.errors import LoadError
from strategy_engine.loading.formats import MARKET_PARSERS, detect_format, parse_corporate_actions
from strategy_engine.warehouse import ensure_source_tables

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


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise LoadError(name, f"not UTF-8 text (byte {raw[error.start]:#x}); re-save the file as UTF-8", line) from None


def iter_texts(path: Path) -> Iterator[tuple[str, str]]:
    """(name, text) for a CSV file, or for every CSV inside a zip file."""
    if not path.exists():
        raise LoadError(str(path), "no such file")
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive:
            for member in sorted(archive.namelist()):
                if member.endswith("/") or not member.lower().endswith((".csv", ".txt")):
                    continue
                yield f"{path}:{member}", _decode(archive.read(member), f"{path}:{member}")
    else:
        yield str(path), _decode(path.read_bytes(), str(path))


def parse_paths(paths: Iterable[Path], fmt: str = "auto") -> tuple[pd.DataFrame, pd.DataFrame, int, int]:
    """Parse every file; returns (market rows, corporate actions, files read, non-equity rows skipped)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    market_frames: list[pd.DataFrame] = []
    action_frames: list[pd.DataFrame] = []
    files = 0
    skipped_non_equity = 0
    for path in paths:
        for name, text in iter_texts(Path(path)):
            files += 1
            if not text.strip():
                raise LoadError(name, "empty file")
            file_format = detect_format(text, name) if fmt == "auto" else fmt
            if file_format == "corporate-actions":
                frame = parse_corporate_actions(text, name)
                frame["source_file"] = Path(name).name
                action_frames.append(frame)
                continue
            parser = MARKET_PARSERS.get(file_format)
            if parser is None:
                raise LoadError(name, f"format {file_format!r} is not supported by this loader yet")
            frame = parser(text, name)
            skipped_non_equity += int(frame.attrs.get("skipped_non_equity", 0))
            frame["source_file"] = Path(name.split(":")[-1]).name
            market_frames.append(frame)
    market = pd.concat(market_frames, ignore_index=True) if market_frames else pd.DataFrame()
    actions = pd.concat(action_frames, ignore_index=True) if action_frames else pd.DataFrame()
    return market, actions, files, skipped_non_equity


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


def write_market_data(con: duckdb.DuckDBPyConnection, market: pd.DataFrame, report: LoadReport) -> None:
    if market.empty:
        return
    check_unique_keys(market)
    con.register("incoming", market)
    con.execute("""
        create or replace temp table incoming_classified as
        select
            incoming.*,
            case
                when existing.symbol is null then 'inserted'
                when existing.open is not distinct from incoming.open
                    and existing.high is not distinct from incoming.high
                    and existing.low is not distinct from incoming.low
                    and existing.close is not distinct from incoming.close
                    and existing.volume is not distinct from incoming.volume
                    and existing.value is not distinct from incoming.value
                    and existing.trades is not distinct from incoming.trades
                    then 'unchanged'
                else 'replaced'
            end as outcome
        -- vectorized parsers hand over timestamps, row parsers dates: compare as dates
        from (select * replace (cast(trade_date as date) as trade_date) from incoming) as incoming
        left join trading_data.market_data as existing
            on existing.symbol = incoming.symbol and existing.trade_date = incoming.trade_date
    """)
    con.unregister("incoming")
    counts = dict(con.execute("select outcome, count(*) from incoming_classified group by 1").fetchall())
    report.inserted += counts.get("inserted", 0)
    report.replaced += counts.get("replaced", 0)
    report.unchanged += counts.get("unchanged", 0)
    report.replaced_keys += [
        (symbol, str(day))
        for symbol, day in con.execute(
            "select symbol, trade_date from incoming_classified where outcome = 'replaced' order by 1, 2"
        ).fetchall()
    ]
    con.execute("""
        delete from trading_data.market_data
        where (symbol, trade_date) in (
            select (symbol, trade_date) from incoming_classified where outcome = 'replaced'
        )
    """)
    con.execute("""
        insert into trading_data.market_data
        select symbol, trade_date, open, high, low, close, volume, value, trades, series, exchange,
               source_file, current_timestamp::timestamp
        from incoming_classified
        where outcome != 'unchanged'
    """)


def write_corporate_actions(con: duckdb.DuckDBPyConnection, actions: pd.DataFrame, report: LoadReport) -> None:
    if actions.empty:
        return
    con.register("incoming_actions", actions)
    con.execute("""
        delete from trading_data.corporate_actions
        where (symbol, ex_date, action) in (select (symbol, ex_date, action) from incoming_actions)
          and (symbol, ex_date, action, price_factor) not in (
              select (symbol, ex_date, action, price_factor) from incoming_actions)
    """)
    inserted = con.execute("""
        insert into trading_data.corporate_actions
        select symbol, ex_date, action, ratio_from, ratio_to, price_factor, source_file,
               current_timestamp::timestamp
        from incoming_actions
        where (symbol, ex_date, action) not in (
            select (symbol, ex_date, action) from trading_data.corporate_actions)
    """).fetchone()
    con.unregister("incoming_actions")
    report.corporate_actions += inserted[0] if inserted else 0


def load_paths(con: duckdb.DuckDBPyConnection, paths: Iterable[Path], fmt: str = "auto") -> LoadReport:
    market, actions, files, skipped_non_equity = parse_paths(paths, fmt)
    report = LoadReport(
        files=files, rows_read=len(market) + len(actions) + skipped_non_equity, skipped_non_equity=skipped_non_equity,
    )
    ensure_source_tables(con)
    con.execute("set enable_progress_bar = false")
    con.execute("begin transaction")
    try:
        write_market_data(con, market, report)
        write_corporate_actions(con, actions, report)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return report
