"""Parsers, one per input format, each turning one file's stream into chunks of canonical rows.

Canonical market-data columns: symbol, trade_date, open, high, low, close, volume, value, trades,
series, exchange. Each market format has two readers over the same stream:

- a fast one (pyarrow's streaming CSV reader, explicit types, vectorized checks) that yields Arrow
  tables of at most one block; it raises NotFast at the first thing it cannot read exactly as the
  row parser would (a bad value, a wrong column count, thousands separators, ...);
- the row parser, the reference for what a file means: it reads the stream line by line, checks
  every value strictly and raises LoadError naming the file and the 1-based line of the first bad
  value. The loader falls back to it from the start of the file when the fast reader gives up, so a
  bad value on line 2,500,000 is reported as line 2,500,000.

Values that are numbers but not finite (inf, -inf, nan, 1e400) are read as IEEE doubles in every
price column: staging rejects them with reason non_finite_value, so they are kept, not refused here.
Volume and trades are whole numbers (BIGINT) and cannot hold them: there they are a bad value.
"""

from __future__ import annotations

import csv
import io
import itertools
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import PurePath
from typing import IO

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from strategy_engine.loading.errors import LoadError
from strategy_engine.source_tables import source_table

# The parsed columns and their Arrow types come from the source tables' one definition
# (models/staging/__sources.yml, strategy_engine/source_tables.py).
MARKET_COLUMNS = [column for column, _ in source_table("market_data").parsed_columns()]
CORPORATE_ACTION_COLUMNS = [column for column, _ in source_table("corporate_actions").parsed_columns()]
MARKET_SCHEMA = pa.schema([
    (column, pa.type_for_alias(kind)) for column, kind in source_table("market_data").parsed_columns("arrow")
])

# Equity series kept from bhavcopies; other segments (bonds, ETFs' non-equity series...) are skipped.
EQUITY_SERIES = {"EQ", "BE", "BZ", "SM", "ST"}

# Rows per DataFrame the row parser hands over, and bytes per block of the fast reader: both keep
# memory flat whatever the file's size.
CHUNK_ROWS = 100_000
BLOCK_BYTES = 1 << 20
# A line longer than this is not a line of any of these formats; refusing it bounds memory.
MAX_LINE_BYTES = 1 << 20
INT64_BOUND = 2**63

Rows = Iterator[tuple[int, list[str]]]


class NotFast(Exception):  # noqa: N818 - a signal to fall back, not an error
    """The fast reader met something only the row parser can judge (or name the line of)."""


@dataclass
class Tally:
    """Counts of one file kept beside its rows."""

    skipped_non_equity: int = 0
    # CSV rows the fast reader turned into tables (before filtering): where a fallback starts looking
    fast_rows: int = 0


# -- lines and CSV rows -----------------------------------------------------------------------------

def decoded_lines(stream: IO[bytes], file: str) -> Iterator[str]:
    """The stream's lines as text, each checked as UTF-8 on its own so an error names its line."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise LoadError(file, f"line longer than {MAX_LINE_BYTES:,} bytes; not a CSV file of a known format",
                            number)
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as error:
            raise LoadError(file, f"not UTF-8 text (byte {raw[error.start]:#x}); re-save the file as UTF-8",
                            number) from None


def csv_rows(stream: IO[bytes], file: str) -> Rows:
    """(line number, cells) of every CSV record; malformed CSV is a LoadError naming the line."""
    reader = csv.reader(decoded_lines(stream, file))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise LoadError(file, f"malformed CSV ({error})", reader.line_num) from None
        yield reader.line_num, row


def _text_rows(text: str, file: str) -> Rows:
    return csv_rows(io.BytesIO(text.encode("utf-8")), file)


# -- values -------------------------------------------------------------------------------------------

def _parse_date(text: str, fmt: str, file: str, line: int) -> date:
    try:
        return datetime.strptime(text.strip(), fmt).date()
    except ValueError:
        raise LoadError(file, f"bad date {text!r} (expected {fmt})", line) from None


def _parse_float(text: str, column: str, file: str, line: int) -> float | None:
    text = text.strip()
    if text == "" or text == "-":
        return None
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise LoadError(file, f"bad number {text!r} in column {column}", line) from None


def _parse_int(text: str, column: str, file: str, line: int) -> int | None:
    value = _parse_float(text, column, file, line)
    if value is None:
        return None
    if not math.isfinite(value) or value != int(value):
        raise LoadError(file, f"bad whole number {text!r} in column {column}", line)
    if not -INT64_BOUND <= int(value) < INT64_BOUND:
        raise LoadError(file, f"whole number {text!r} in column {column} is out of range", line)
    return int(value)


def _price_fields(cell: Callable[[str], str], file: str, number: int) -> dict:
    """The numeric columns every market-data format shares, read strictly through `cell`."""
    return {
        "open": _parse_float(cell("open"), "open", file, number),
        "high": _parse_float(cell("high"), "high", file, number),
        "low": _parse_float(cell("low"), "low", file, number),
        "close": _parse_float(cell("close"), "close", file, number),
        "volume": _parse_float(cell("volume"), "volume", file, number),
        "value": _parse_float(cell("value"), "value", file, number),
        "trades": _parse_int(cell("trades"), "trades", file, number),
    }


def _blank(row: list[str]) -> bool:
    return not row or all(cell.strip() == "" for cell in row)


def _chunks(records: Iterator[dict], columns: list[str]) -> Iterator[pd.DataFrame | pa.Table]:
    """Market rows as Arrow tables (a NaN stays a NaN, a missing value is null), actions as DataFrames."""
    batch: list[dict] = []
    for record in records:
        batch.append(record)
        if len(batch) >= CHUNK_ROWS:
            yield _chunk(batch, columns)
            batch = []
    if batch:
        yield _chunk(batch, columns)


def _chunk(batch: list[dict], columns: list[str]) -> pd.DataFrame | pa.Table:
    if columns is MARKET_COLUMNS:
        return pa.Table.from_pylist(batch, schema=MARKET_SCHEMA)
    return pd.DataFrame.from_records(batch, columns=columns)


# -- row parsers ------------------------------------------------------------------------------------

def _history_symbol(file: str) -> str:
    # inside a zip the name is "archive.zip:member.csv": the symbol is the member's stem
    return PurePath(file.rsplit(":", 1)[-1]).stem.upper()


def _nse_history_records(rows: Rows, file: str, tally: Tally) -> Iterator[dict]:
    """The bundled NIFTY 50 sample: no header; ddmmyy,open,high,low,close,value,quantity,trades.

    The symbol is the file name without its extension (`M&M.csv` is M&M).
    """
    symbol = _history_symbol(file)
    for number, row in rows:
        if _blank(row):
            continue
        if len(row) != 8:
            raise LoadError(file, f"expected 8 columns, found {len(row)}", number)
        yield {
            "symbol": symbol,
            "trade_date": _parse_date(row[0], "%d%m%y", file, number),
            "open": _parse_float(row[1], "open", file, number),
            "high": _parse_float(row[2], "high", file, number),
            "low": _parse_float(row[3], "low", file, number),
            "close": _parse_float(row[4], "close", file, number),
            "value": _parse_float(row[5], "value", file, number),
            "volume": _parse_float(row[6], "volume", file, number),
            "trades": _parse_int(row[7], "trades", file, number),
            "series": "EQ",
            "exchange": "NSE",
        }


def _header_index(header: list[str], required: dict[str, tuple[str, ...]]) -> dict[str, int]:
    normalized = [cell.strip().lower() for cell in header]
    index: dict[str, int] = {}
    for column, aliases in required.items():
        for alias in aliases:
            if alias.lower() in normalized:
                index[column] = normalized.index(alias.lower())
                break
    return index


OHLCV_ALIASES: dict[str, tuple[str, ...]] = {
    "symbol": ("symbol", "ticker"),
    "trade_date": ("trade_date", "date", "timestamp"),
    "open": ("open",),
    "high": ("high",),
    "low": ("low",),
    "close": ("close",),
    "volume": ("volume", "qty", "quantity"),
    "value": ("value", "turnover"),
    "trades": ("trades", "num_trades"),
    "series": ("series",),
    "exchange": ("exchange",),
}
OHLCV_REQUIRED = ("symbol", "trade_date", "open", "high", "low", "close", "volume")


def _first_row(rows: Rows, file: str) -> list[str]:
    first = next(rows, None)
    if first is None:
        raise LoadError(file, "empty file (expected a header row)")
    return first[1]


def _ohlcv_records(rows: Rows, file: str, tally: Tally) -> Iterator[dict]:
    """A generic CSV with a header: symbol,date,open,high,low,close,volume[,value,trades,series,exchange].

    Dates are ISO (YYYY-MM-DD).
    """
    header = _first_row(rows, file)
    index = _header_index(header, OHLCV_ALIASES)
    missing = [column for column in OHLCV_REQUIRED if column not in index]
    if missing:
        raise LoadError(file, f"missing column(s) {', '.join(missing)} in header {header}", 1)
    for number, row in rows:
        if _blank(row):
            continue
        if len(row) != len(header):
            raise LoadError(file, f"expected {len(header)} columns, found {len(row)}", number)

        def cell(column: str, row: list[str] = row) -> str:
            return row[index[column]] if column in index else ""

        yield {
            "symbol": cell("symbol").strip().upper(),
            "trade_date": _parse_date(cell("trade_date")[:10], "%Y-%m-%d", file, number),
            **_price_fields(cell, file, number),
            "series": cell("series").strip() or None,
            "exchange": cell("exchange").strip() or None,
        }


def _header_positions(header: list[str], file: str, columns: tuple[str, ...]) -> dict[str, int]:
    """Position of each required column (case-insensitive); LoadError on line 1 when any is missing."""
    normalized = [cell.strip().lstrip("\ufeff").lower() for cell in header]
    missing = [column for column in columns if column.lower() not in normalized]
    if missing:
        raise LoadError(file, f"missing column(s) {', '.join(missing)} in header", 1)
    return {column: normalized.index(column.lower()) for column in columns}


@dataclass(frozen=True)
class ExchangeLayout:
    """One NSE bhavcopy layout: canonical names to the file's headers, its date format, its exchange."""

    columns: dict[str, str]
    date_format: str
    exchange_column: str | None

    @property
    def wanted(self) -> tuple[str, ...]:
        return tuple(self.columns.values()) + ((self.exchange_column,) if self.exchange_column else ())


# NSE's legacy CM bhavcopy (cmDDMONYYYYbhav.csv, until July 2024):
# SYMBOL,SERIES,OPEN,HIGH,LOW,CLOSE,LAST,PREVCLOSE,TOTTRDQTY,TOTTRDVAL,TIMESTAMP,TOTALTRADES,ISIN,
# with dates like 01-JAN-2020.
BHAVCOPY = ExchangeLayout({
    "symbol": "SYMBOL", "series": "SERIES", "open": "OPEN", "high": "HIGH", "low": "LOW", "close": "CLOSE",
    "volume": "TOTTRDQTY", "value": "TOTTRDVAL", "trade_date": "TIMESTAMP", "trades": "TOTALTRADES",
}, "%d-%b-%Y", None)
# The UDiFF CM bhavcopy NSE publishes since July 2024 (BhavCopy_NSE_CM_0_0_0_YYYYMMDD_F_0000.csv):
# TradDt,BizDt,Sgmt,Src,...,TckrSymb,SctySrs,...,OpnPric,HghPric,LwPric,ClsPric,...,TtlTradgVol,
# TtlTrfVal,TtlNbOfTxsExctd,... with ISO dates; the exchange is taken from Src.
UDIFF = ExchangeLayout({
    "symbol": "TckrSymb", "series": "SctySrs", "open": "OpnPric", "high": "HghPric", "low": "LwPric",
    "close": "ClsPric", "volume": "TtlTradgVol", "value": "TtlTrfVal", "trade_date": "TradDt",
    "trades": "TtlNbOfTxsExctd",
}, "%Y-%m-%d", "Src")
BHAVCOPY_COLUMNS = BHAVCOPY.columns
UDIFF_COLUMNS = UDIFF.columns


def _exchange_records(layout: ExchangeLayout) -> Callable[[Rows, str, Tally], Iterator[dict]]:
    """Rows of an NSE bhavcopy layout; only equity series are kept, the others counted as skipped."""

    def records(rows: Rows, file: str, tally: Tally) -> Iterator[dict]:
        header = _first_row(rows, file)
        position = _header_positions(header, file, layout.wanted)
        width = len(header)
        columns = layout.columns
        for number, row in rows:
            if _blank(row):
                continue
            # the legacy bhavcopy ends every line with a comma; tolerate a missing trailing empty cell
            if len(row) != width and not (len(row) == width - 1 and header[-1].strip() == ""):
                raise LoadError(file, f"expected {width} columns, found {len(row)}", number)

            def cell(column: str, row: list[str] = row) -> str:
                return row[position[columns[column]]]

            series = cell("series").strip().upper()
            if series not in EQUITY_SERIES:
                tally.skipped_non_equity += 1
                continue
            yield {
                "symbol": cell("symbol").strip().upper(),
                "trade_date": _parse_date(cell("trade_date"), layout.date_format, file, number),
                **_price_fields(cell, file, number),
                "series": series,
                "exchange": row[position[layout.exchange_column]].strip().upper() if layout.exchange_column else "NSE",
            }

    return records


def _corporate_action_records(rows: Rows, file: str, tally: Tally) -> Iterator[dict]:
    """symbol,ex_date,action,ratio_from,ratio_to,price_factor (the sample's CORPORATE_ACTIONS.csv)."""
    header = [cell.strip().lower() for cell in _first_row(rows, file)]
    missing = [column for column in CORPORATE_ACTION_COLUMNS if column not in header]
    if missing:
        raise LoadError(file, f"missing column(s) {', '.join(missing)}", 1)
    for number, row in rows:
        if not row:
            continue
        # a short row reads as empty cells, which the checks below refuse
        values = dict(zip(header, row, strict=False))
        factor = _parse_float(values.get("price_factor", ""), "price_factor", file, number)
        if factor is None or not factor > 0:
            raise LoadError(file, f"price_factor must be positive, got {values.get('price_factor', '')!r}", number)
        yield {
            "symbol": values.get("symbol", "").strip().upper(),
            "ex_date": _parse_date(values.get("ex_date", ""), "%Y-%m-%d", file, number),
            "action": values.get("action", "").strip().lower(),
            "ratio_from": _parse_float(values.get("ratio_from", ""), "ratio_from", file, number),
            "ratio_to": _parse_float(values.get("ratio_to", ""), "ratio_to", file, number),
            "price_factor": factor,
        }


RecordReader = Callable[[Rows, str, Tally], Iterator[dict]]

ROW_READERS: dict[str, RecordReader] = {
    "ohlcv-csv": _ohlcv_records,
    "nse-history": _nse_history_records,
    "nse-bhavcopy": _exchange_records(BHAVCOPY),
    "nse-udiff": _exchange_records(UDIFF),
    "corporate-actions": _corporate_action_records,
}
MARKET_FORMATS = ("ohlcv-csv", "nse-history", "nse-bhavcopy", "nse-udiff")


def row_chunks(fmt: str, stream: IO[bytes], file: str, tally: Tally) -> Iterator[pd.DataFrame | pa.Table]:
    """The row parser over a stream, in chunks of at most CHUNK_ROWS rows."""
    columns = CORPORATE_ACTION_COLUMNS if fmt == "corporate-actions" else MARKET_COLUMNS
    yield from _chunks(ROW_READERS[fmt](csv_rows(stream, file), file, tally), columns)


def locate_bad_row(fmt: str, stream: IO[bytes], file: str, good_rows: int, window: int = 200_000) -> None:
    """Raise the row parser's LoadError for the first bad row after the `good_rows` the fast reader read.

    The fast reader accepts only what the row parser accepts, so the first error of the file lies in
    the block it failed on: the rows before it are only counted (CSV records, as pyarrow counts them:
    empty lines aside), and at most `window` rows from there are parsed. Returns when none of them is
    bad (the fast reader failed on something the row parser reads, such as "1,234.5"): the caller then
    reads the whole file with the row parser.
    """
    rows = csv_rows(stream, file)
    start: list[tuple[int, list[str]]] = []
    if fmt != "nse-history":
        header = next(rows, None)
        if header is None:
            return
        start.append(header)
    counted = 0
    for number, row in rows:
        if counted >= good_rows:
            start.append((number, row))
            break
        if row:
            counted += 1
    for _ in ROW_READERS[fmt](itertools.chain(start, itertools.islice(rows, window)), file, Tally()):
        pass


# -- fast readers -----------------------------------------------------------------------------------

# Volume is a number as loaded (a double): staging rejects an infinite, NaN, out-of-range or
# fractional volume with a reason (base_market_data_checked) instead of the whole load failing.
FLOAT_COLUMNS = ("open", "high", "low", "close", "volume", "value")
INT_COLUMNS = ("trades",)


def _arrow_type(column: str) -> pa.DataType:
    return MARKET_SCHEMA.field(column).type


def _arrow_batches(
    stream: IO[bytes] | pa.NativeFile, width: int, wanted: dict[str, int], types: dict[str, pa.DataType],
    header: bool,
) -> Iterator[pa.RecordBatch]:
    """Record batches of the canonical columns `wanted` (name -> position) from a stream of `width` columns.

    The other columns are read too, as strings: pyarrow checks every string it reads as UTF-8, so a
    file that is not UTF-8 anywhere goes to the row parser, which names the line.
    """
    names = [f"c{position}" for position in range(width)]
    for column, position in wanted.items():
        names[position] = column
    column_types = {name: pa.string() for name in names}
    column_types.update({column: types[column] for column in wanted})
    try:
        reader = pa_csv.open_csv(
            stream,
            read_options=pa_csv.ReadOptions(column_names=names, skip_rows=1 if header else 0,
                                            block_size=BLOCK_BYTES, use_threads=True),
            # only what the row parser also reads as missing ("n/a" and friends stay errors); strings
            # are never null, the row parser keeps "" and "-" as they are
            convert_options=pa_csv.ConvertOptions(
                column_types=column_types, null_values=["", "-"], strings_can_be_null=False,
                quoted_strings_can_be_null=False, check_utf8=True,
            ),
        )
        yield from reader
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as error:
        raise NotFast(str(error)) from None


def _trimmed_upper(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    return pc.utf8_upper(pc.utf8_trim_whitespace(values))


def _market_table(columns: dict[str, pa.Array], rows: int) -> pa.Table:
    arrays = []
    for column in MARKET_COLUMNS:
        values = columns.get(column)
        arrays.append(pa.nulls(rows, _arrow_type(column)) if values is None else values)
    return pa.Table.from_arrays(arrays, names=MARKET_COLUMNS)


def _fast_ohlcv(stream: IO[bytes], header: list[str], file: str, tally: Tally) -> Iterator[pa.Table]:
    index = _header_index(header, OHLCV_ALIASES)
    if any(column not in index for column in OHLCV_REQUIRED):
        raise NotFast("header")
    if len({cell.strip().lower() for cell in header}) != len(header):
        raise NotFast("a column named twice")
    types = {column: _arrow_type(column) for column in index}
    for batch in _arrow_batches(stream, len(header), index, types, header=True):
        columns: dict[str, pa.Array] = {}
        for column in index:
            values = batch.column(column)
            if column == "symbol":
                values = _trimmed_upper(values)
            elif column in ("series", "exchange"):
                values = pc.utf8_trim_whitespace(values)
                values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
            elif column == "trade_date" and values.null_count:
                raise NotFast("missing date")
            columns[column] = values
        tally.fast_rows += batch.num_rows
        yield _market_table(columns, batch.num_rows)


def _parsed_dates(values: pa.Array, fmt: str) -> pa.Array:
    if values.null_count:
        raise NotFast("missing date")
    try:
        return pc.cast(pc.strptime(pc.utf8_trim_whitespace(values), format=fmt, unit="s"), pa.date32())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise NotFast(str(error)) from None


def _fast_exchange(layout: ExchangeLayout) -> Callable[[IO[bytes], list[str], str, Tally], Iterator[pa.Table]]:
    def read(stream: IO[bytes], header: list[str], file: str, tally: Tally) -> Iterator[pa.Table]:
        try:
            position = _header_positions(header, file, layout.wanted)
        except LoadError:
            raise NotFast("header") from None
        wanted = {canonical: position[name] for canonical, name in layout.columns.items()}
        if layout.exchange_column:
            wanted["exchange"] = position[layout.exchange_column]
        if len(set(wanted.values())) != len(wanted):
            raise NotFast("a column named twice")
        types = {column: pa.string() if column == "trade_date" else _arrow_type(column) for column in wanted}
        for batch in _arrow_batches(stream, len(header), wanted, types, header=True):
            read = batch.num_rows
            series = _trimmed_upper(batch.column("series"))
            equity = pc.is_in(series, value_set=pa.array(sorted(EQUITY_SERIES)))
            kept = pc.sum(equity).as_py() or 0
            tally.skipped_non_equity += batch.num_rows - kept
            batch = batch.filter(equity)
            columns = {column: batch.column(column) for column in wanted}
            columns["symbol"] = _trimmed_upper(columns["symbol"])
            columns["series"] = series.filter(equity)
            columns["trade_date"] = _parsed_dates(columns["trade_date"], layout.date_format)
            columns["exchange"] = (_trimmed_upper(columns["exchange"]) if layout.exchange_column
                                   else pa.array(["NSE"] * batch.num_rows, pa.string()))
            tally.fast_rows += read
            yield _market_table(columns, batch.num_rows)

    return read


def _fast_history(stream: IO[bytes], header: list[str], file: str, tally: Tally) -> Iterator[pa.Table]:
    if len(header) != 8:
        raise NotFast("width")
    wanted = {"trade_date": 0, "open": 1, "high": 2, "low": 3, "close": 4, "value": 5, "volume": 6, "trades": 7}
    types = {column: pa.string() if column == "trade_date" else _arrow_type(column) for column in wanted}
    symbol = _history_symbol(file)
    for batch in _arrow_batches(stream, 8, wanted, types, header=False):
        columns = {column: batch.column(column) for column in wanted}
        columns["trade_date"] = _parsed_dates(columns["trade_date"], "%d%m%y")
        columns["symbol"] = pa.array([symbol] * batch.num_rows, pa.string())
        columns["series"] = pa.array(["EQ"] * batch.num_rows, pa.string())
        columns["exchange"] = pa.array(["NSE"] * batch.num_rows, pa.string())
        tally.fast_rows += batch.num_rows
        yield _market_table(columns, batch.num_rows)


FastReader = Callable[[IO[bytes], list[str], str, Tally], Iterator[pa.Table]]

FAST_READERS: dict[str, FastReader] = {
    "ohlcv-csv": _fast_ohlcv,
    "nse-history": _fast_history,
    "nse-bhavcopy": _fast_exchange(BHAVCOPY),
    "nse-udiff": _fast_exchange(UDIFF),
}


# -- whole-text helpers (tests, small files) --------------------------------------------------------

def _collect(fmt: str, text: str, file: str) -> pd.DataFrame:
    tally = Tally()
    frames = [chunk.to_pandas(date_as_object=True) if isinstance(chunk, pa.Table) else chunk
              for chunk in row_chunks(fmt, io.BytesIO(text.encode("utf-8")), file, tally)]
    columns = CORPORATE_ACTION_COLUMNS if fmt == "corporate-actions" else MARKET_COLUMNS
    frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    frame.attrs["skipped_non_equity"] = tally.skipped_non_equity
    return frame


def _parse_ohlcv_csv_rows(text: str, file: str) -> pd.DataFrame:
    return _collect("ohlcv-csv", text, file)


def _parse_ohlcv_csv_fast(text: str) -> pd.DataFrame | None:
    """The fast reader over a whole text, as one DataFrame; None when it gives up."""
    header = next(csv.reader([text.lstrip("\ufeff").split("\n", 1)[0]]), [])
    try:
        tables = list(_fast_ohlcv(io.BytesIO(text.encode("utf-8")), header, "", Tally()))
    except NotFast:
        return None
    if not tables:
        return None
    frame = pa.concat_tables(tables).to_pandas(date_as_object=False)
    for column in INT_COLUMNS:
        if frame[column].isna().any():
            frame[column] = frame[column].astype("Int64")
    return frame


def parse_corporate_actions(text: str, file: str) -> pd.DataFrame:
    return _collect("corporate-actions", text, file)


# -- detection --------------------------------------------------------------------------------------

def detect_format(first_line: str, file: str) -> str:
    """Guess the format from the first line; raise LoadError when nothing fits."""
    first = first_line.lstrip("\ufeff").rstrip("\r\n")
    lowered = first.lower()
    if not first.strip():
        raise LoadError(file, "empty file")
    # recognised by a few distinctive headers, so a file with one wrong column still reaches its
    # own parser, which then names the missing column
    if "ex_date" in lowered:
        return "corporate-actions"
    if "tckrsymb" in lowered or "traddt" in lowered:
        return "nse-udiff"
    if "symbol" in lowered and "series" in lowered and ("tottrdqty" in lowered or "prevclose" in lowered):
        return "nse-bhavcopy"
    if "symbol" in lowered or "ticker" in lowered:
        return "ohlcv-csv"
    try:
        cells = next(csv.reader([first]), [])
    except csv.Error:
        cells = []
    if len(cells) >= 5 and len(cells[0].strip()) == 6 and cells[0].strip().isdigit():
        return "nse-history"
    raise LoadError(file, f"cannot tell the format from the first line {first[:80]!r}; pass --format", 1)
