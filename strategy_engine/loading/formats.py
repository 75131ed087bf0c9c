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


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def parse_nse_history(text: str, file: str) -> pd.DataFrame:
    """The bundled NIFTY 50 sample: no header; ddmmyy,open,high,low,close,value,quantity,trades.

    The symbol is the file name without its extension (`M&M.csv` is M&M).
    """
    symbol = PurePath(file).stem.upper()
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


def parse_ohlcv_csv(text: str, file: str) -> pd.DataFrame:
    """A generic CSV with a header: symbol,date,open,high,low,close,volume[,value,trades,series,exchange].

    Dates are ISO (YYYY-MM-DD).
    """
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
            "open": _parse_float(cell("open"), "open", file, number),
            "high": _parse_float(cell("high"), "high", file, number),
            "low": _parse_float(cell("low"), "low", file, number),
            "close": _parse_float(cell("close"), "close", file, number),
            "volume": _parse_int(cell("volume"), "volume", file, number),
            "value": _parse_float(cell("value"), "value", file, number),
            "trades": _parse_int(cell("trades"), "trades", file, number),
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


def _frame(records: list[dict], file: str) -> pd.DataFrame:
    if not records:
        raise LoadError(file, "no data rows")
    return pd.DataFrame.from_records(records, columns=MARKET_COLUMNS)


Parser = Callable[[str, str], pd.DataFrame]

MARKET_PARSERS: dict[str, Parser] = {
    "ohlcv-csv": parse_ohlcv_csv,
    "nse-history": parse_nse_history,
}


def detect_format(text: str, file: str) -> str:
    """Guess the format from the first line; raise LoadError when nothing fits."""
    first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    lowered = first.lower()
    if not first:
        raise LoadError(file, "empty file")
    if "price_factor" in lowered and "ex_date" in lowered:
        return "corporate-actions"
    if "tckrsymb" in lowered and "clspric" in lowered:
        return "nse-udiff"
    if "symbol" in lowered and "series" in lowered and "tottrdqty" in lowered:
        return "nse-bhavcopy"
    if "symbol" in lowered or "ticker" in lowered:
        return "ohlcv-csv"
    cells = next(csv.reader([first]))
    if len(cells) == 8 and len(cells[0].strip()) == 6 and cells[0].strip().isdigit():
        return "nse-history"
    raise LoadError(file, f"cannot tell the format from the first line {first[:80]!r}; pass --format", 1)
