"""Parsers, one per input format, each turning one file's text into canonical rows.

Canonical market-data columns: symbol, trade_date, open, high, low, close, volume, value, trades,
series, exchange. Every parser checks types strictly and raises LoadError naming the file and the
1-based line of the first bad value, so a bad file is never half-loaded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date, datetime
from pathlib import PurePath

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from strategy_engine.loading.errors import LoadError

MARKET_COLUMNS = [
    "symbol", "trade_date", "open", "high", "low", "close", "volume", "value", "trades", "series", "exchange",
]
CORPORATE_ACTION_COLUMNS = ["symbol", "ex_date", "action", "ratio_from", "ratio_to", "price_factor"]

# Equity series kept from bhavcopies; other segments (bonds, ETFs' non-equity series...) are skipped.
EQUITY_SERIES = {"EQ", "BE", "BZ", "SM", "ST"}


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
    if value != int(value):
        raise LoadError(file, f"bad whole number {text!r} in column {column}", line)
    return int(value)


def _price_fields(cell: Callable[[str], str], file: str, number: int) -> dict:
    """The numeric columns every market-data format shares, read strictly through `cell`."""
    return {
        "open": _parse_float(cell("open"), "open", file, number),
        "high": _parse_float(cell("high"), "high", file, number),
        "low": _parse_float(cell("low"), "low", file, number),
        "close": _parse_float(cell("close"), "close", file, number),
        "volume": _parse_int(cell("volume"), "volume", file, number),
        "value": _parse_float(cell("value"), "value", file, number),
        "trades": _parse_int(cell("trades"), "trades", file, number),
    }


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def parse_nse_history(text: str, file: str) -> pd.DataFrame:
    """The bundled NIFTY 50 sample: no header; ddmmyy,open,high,low,close,value,quantity,trades.

    The symbol is the file name without its extension (`M&M.csv` is M&M).
    """
    # inside a zip the name is "archive.zip:member.csv": the symbol is the member's stem
    symbol = PurePath(file.rsplit(":", 1)[-1]).stem.upper()
    records = []
    for number, row in enumerate(_rows(text), start=1):
        if not row or all(cell.strip() == "" for cell in row):
            continue
        if len(row) != 8:
            raise LoadError(file, f"expected 8 columns, found {len(row)}", number)
        records.append({
            "symbol": symbol,
            "trade_date": _parse_date(row[0], "%d%m%y", file, number),
            "open": _parse_float(row[1], "open", file, number),
            "high": _parse_float(row[2], "high", file, number),
            "low": _parse_float(row[3], "low", file, number),
            "close": _parse_float(row[4], "close", file, number),
            "value": _parse_float(row[5], "value", file, number),
            "volume": _parse_int(row[6], "volume", file, number),
            "trades": _parse_int(row[7], "trades", file, number),
            "series": "EQ",
            "exchange": "NSE",
        })
    return _frame(records, file)


def _header_index(header: list[str], file: str, required: dict[str, tuple[str, ...]]) -> dict[str, int]:
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


OHLCV_TYPES: dict[str, pa.DataType] = {
    "symbol": pa.string(), "trade_date": pa.date32(), "open": pa.float64(), "high": pa.float64(),
    "low": pa.float64(), "close": pa.float64(), "volume": pa.int64(), "value": pa.float64(),
    "trades": pa.int64(), "series": pa.string(), "exchange": pa.string(),
}


def _parse_ohlcv_csv_fast(text: str) -> pd.DataFrame | None:
    """Vectorized reading of a well-formed file (millions of rows in seconds).

    Returns None when anything is off (wrong column count, a value that does not convert, ...):
    the row-by-row parser then finds and names the first bad line.
    """
    header = next(csv.reader(io.StringIO(text.split("\n", 1)[0])))
    index = _header_index(header, "", OHLCV_ALIASES)
    if any(column not in index for column in OHLCV_REQUIRED):
        return None
    types = {name: pa.string() for name in header}
    for column, position in index.items():
        types[header[position]] = OHLCV_TYPES[column]
    try:
        table = pa_csv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            # only what the row parser also reads as missing: "n/a" and friends must stay errors
            convert_options=pa_csv.ConvertOptions(
                column_types=types, strings_can_be_null=True, null_values=["", "-"],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows == 0 or len(set(header)) != len(header):
        return None
    frame = pd.DataFrame(index=range(table.num_rows))
    for column in MARKET_COLUMNS:
        if column not in index:
            frame[column] = None
            continue
        values = table.column(header[index[column]])
        if column == "symbol":
            values = pc.utf8_upper(pc.utf8_trim_whitespace(values))
            if values.null_count:
                return None
        elif column in ("series", "exchange"):
            values = pc.utf8_trim_whitespace(values)
        frame[column] = values.to_pandas(date_as_object=False)
        if column in ("series", "exchange"):
            frame[column] = frame[column].replace("", None)
        if column in ("volume", "trades") and values.null_count:
            frame[column] = frame[column].astype("Int64")
    return frame


def parse_ohlcv_csv(text: str, file: str) -> pd.DataFrame:
    """A generic CSV with a header: symbol,date,open,high,low,close,volume[,value,trades,series,exchange].

    Dates are ISO (YYYY-MM-DD).
    """
    fast = _parse_ohlcv_csv_fast(text)
    return fast if fast is not None else _parse_ohlcv_csv_rows(text, file)


def _parse_ohlcv_csv_rows(text: str, file: str) -> pd.DataFrame:
    rows = _rows(text)
    if not rows:
        raise LoadError(file, "empty file (expected a header row)")
    index = _header_index(rows[0], file, OHLCV_ALIASES)
    missing = [column for column in OHLCV_REQUIRED if column not in index]
    if missing:
        raise LoadError(file, f"missing column(s) {', '.join(missing)} in header {rows[0]}", 1)
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not row or all(cell.strip() == "" for cell in row):
            continue
        if len(row) != len(rows[0]):
            raise LoadError(file, f"expected {len(rows[0])} columns, found {len(row)}", number)

        def cell(column: str, row: list[str] = row) -> str:
            return row[index[column]] if column in index else ""

        records.append({
            "symbol": cell("symbol").strip().upper(),
            "trade_date": _parse_date(cell("trade_date")[:10], "%Y-%m-%d", file, number),
            **_price_fields(cell, file, number),
            "series": cell("series").strip() or None,
            "exchange": cell("exchange").strip() or None,
        })
    return _frame(records, file)


def parse_corporate_actions(text: str, file: str) -> pd.DataFrame:
    """symbol,ex_date,action,ratio_from,ratio_to,price_factor (the sample's CORPORATE_ACTIONS.csv)."""
    rows = _rows(text)
    if not rows:
        raise LoadError(file, "empty file (expected a header row)")
    header = [cell.strip().lower() for cell in rows[0]]
    missing = [column for column in CORPORATE_ACTION_COLUMNS if column not in header]
    if missing:
        raise LoadError(file, f"missing column(s) {', '.join(missing)}", 1)
    records = []
    for number, row in enumerate(rows[1:], start=2):
        if not row:
            continue
        values = dict(zip(header, row, strict=False))
        factor = _parse_float(values["price_factor"], "price_factor", file, number)
        if factor is None or factor <= 0:
            raise LoadError(file, f"price_factor must be positive, got {values['price_factor']!r}", number)
        records.append({
            "symbol": values["symbol"].strip().upper(),
            "ex_date": _parse_date(values["ex_date"], "%Y-%m-%d", file, number),
            "action": values["action"].strip().lower(),
            "ratio_from": _parse_float(values["ratio_from"], "ratio_from", file, number),
            "ratio_to": _parse_float(values["ratio_to"], "ratio_to", file, number),
            "price_factor": factor,
        })
    return pd.DataFrame.from_records(records, columns=CORPORATE_ACTION_COLUMNS)


def _header_positions(header: list[str], file: str, columns: tuple[str, ...]) -> dict[str, int]:
    """Position of each required column (case-insensitive); LoadError on line 1 when any is missing."""
    normalized = [cell.strip().lstrip("\ufeff").lower() for cell in header]
    missing = [column for column in columns if column.lower() not in normalized]
    if missing:
        raise LoadError(file, f"missing column(s) {', '.join(missing)} in header", 1)
    return {column: normalized.index(column.lower()) for column in columns}


def _parse_exchange_file(
    text: str, file: str, columns: dict[str, str], date_format: str, exchange_column: str | None,
) -> pd.DataFrame:
    """Shared body of the two NSE bhavcopy layouts: `columns` maps canonical names to the file's headers.

    Rows of non-equity series are skipped; how many is kept in the frame's attrs["skipped_non_equity"].
    """
    rows = _rows(text)
    if not rows:
        raise LoadError(file, "empty file (expected a header row)")
    wanted = tuple(columns.values()) + ((exchange_column,) if exchange_column else ())
    position = _header_positions(rows[0], file, wanted)
    width = len(rows[0])
    records = []
    skipped = 0
    for number, row in enumerate(rows[1:], start=2):
        if not row or all(cell.strip() == "" for cell in row):
            continue
        # the legacy bhavcopy ends every line with a comma; tolerate a missing trailing empty cell
        if len(row) != width and not (len(row) == width - 1 and rows[0][-1].strip() == ""):
            raise LoadError(file, f"expected {width} columns, found {len(row)}", number)

        def cell(column: str, row: list[str] = row) -> str:
            return row[position[columns[column]]]

        series = cell("series").strip().upper()
        if series not in EQUITY_SERIES:
            skipped += 1
            continue
        records.append({
            "symbol": cell("symbol").strip().upper(),
            "trade_date": _parse_date(cell("trade_date"), date_format, file, number),
            **_price_fields(cell, file, number),
            "series": series,
            "exchange": row[position[exchange_column]].strip().upper() if exchange_column else "NSE",
        })
    frame = pd.DataFrame.from_records(records, columns=MARKET_COLUMNS)
    if frame.empty and not skipped:
        raise LoadError(file, "no data rows")
    frame.attrs["skipped_non_equity"] = skipped
    return frame


BHAVCOPY_COLUMNS = {
    "symbol": "SYMBOL", "series": "SERIES", "open": "OPEN", "high": "HIGH", "low": "LOW", "close": "CLOSE",
    "volume": "TOTTRDQTY", "value": "TOTTRDVAL", "trade_date": "TIMESTAMP", "trades": "TOTALTRADES",
}


def parse_nse_bhavcopy(text: str, file: str) -> pd.DataFrame:
    """NSE's legacy CM bhavcopy (cmDDMONYYYYbhav.csv, until July 2024).

    SYMBOL,SERIES,OPEN,HIGH,LOW,CLOSE,LAST,PREVCLOSE,TOTTRDQTY,TOTTRDVAL,TIMESTAMP,TOTALTRADES,ISIN,
    with dates like 01-JAN-2020. Only equity series (EQ, BE, ...) are kept.
    """
    return _parse_exchange_file(text, file, BHAVCOPY_COLUMNS, "%d-%b-%Y", exchange_column=None)


UDIFF_COLUMNS = {
    "symbol": "TckrSymb", "series": "SctySrs", "open": "OpnPric", "high": "HghPric", "low": "LwPric",
    "close": "ClsPric", "volume": "TtlTradgVol", "value": "TtlTrfVal", "trade_date": "TradDt",
    "trades": "TtlNbOfTxsExctd",
}


def parse_nse_udiff(text: str, file: str) -> pd.DataFrame:
    """The UDiFF CM bhavcopy NSE publishes since July 2024 (BhavCopy_NSE_CM_0_0_0_YYYYMMDD_F_0000.csv).

    TradDt,BizDt,Sgmt,Src,FinInstrmTp,...,TckrSymb,SctySrs,...,OpnPric,HghPric,LwPric,ClsPric,...,
    TtlTradgVol,TtlTrfVal,TtlNbOfTxsExctd,... with ISO dates. Only equity series are kept; the
    exchange is taken from Src.
    """
    return _parse_exchange_file(text, file, UDIFF_COLUMNS, "%Y-%m-%d", exchange_column="Src")


def _frame(records: list[dict], file: str) -> pd.DataFrame:
    if not records:
        raise LoadError(file, "no data rows")
    return pd.DataFrame.from_records(records, columns=MARKET_COLUMNS)


Parser = Callable[[str, str], pd.DataFrame]

MARKET_PARSERS: dict[str, Parser] = {
    "ohlcv-csv": parse_ohlcv_csv,
    "nse-history": parse_nse_history,
    "nse-bhavcopy": parse_nse_bhavcopy,
    "nse-udiff": parse_nse_udiff,
}


def detect_format(text: str, file: str) -> str:
    """Guess the format from the first line; raise LoadError when nothing fits."""
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    lowered = first.lower()
    if not first:
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
    cells = next(csv.reader([first]))
    if len(cells) >= 5 and len(cells[0].strip()) == 6 and cells[0].strip().isdigit():
        return "nse-history"
    raise LoadError(file, f"cannot tell the format from the first line {first[:80]!r}; pass --format", 1)
