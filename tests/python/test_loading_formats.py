"""Every input format loads; every malformed file fails naming file and line, and writes nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from strategy_engine.loading import LoadError, load_paths
from strategy_engine.warehouse import connect, ensure_source_tables

OHLCV = """symbol,date,open,high,low,close,volume
AAPL,2024-01-02,187.15,188.44,183.89,185.64,82488700
AAPL,2024-01-03,184.22,185.88,183.43,184.25,58414500
MSFT,2024-01-02,373.86,375.90,366.77,370.87,25258600
"""

NSE_HISTORY = """020117,100.0,102.5,99.0,101.0,1000000.5,10000,250
030117,101.0,103.0,100.5,102.0,2040000.0,20000,300
"""

BHAVCOPY = """SYMBOL,SERIES,OPEN,HIGH,LOW,CLOSE,LAST,PREVCLOSE,TOTTRDQTY,TOTTRDVAL,TIMESTAMP,TOTALTRADES,ISIN,
RELIANCE,EQ,1520.5,1530.0,1510.1,1525.45,1526.0,1515.2,5432100,8283412345.5,01-JAN-2020,123456,INE002A01018,
SBIN,BE,330.0,335.0,328.5,334.1,334.0,331.0,1000,334100.0,01-JAN-2020,50,INE062A01020,
GOI2030,GS,100.0,100.5,99.5,100.1,100.1,100.0,10,1001.0,01-JAN-2020,2,IN0020200001,
NIFTYBEES,N1,140.0,141.0,139.0,140.5,140.5,140.0,100,14050.0,01-JAN-2020,5,INF204KB14I2,
"""

UDIFF_HEADER = (
    "TradDt,BizDt,Sgmt,Src,FinInstrmTp,FinInstrmId,ISIN,TckrSymb,SctySrs,XpryDt,FininstrmActlXpryDt,StrkPric,"
    "OptnTp,FinInstrmNm,OpnPric,HghPric,LwPric,ClsPric,LastPric,PrvsClsgPric,UndrlygPric,SttlmPric,OpnIntrst,"
    "ChngInOpnIntrst,TtlTradgVol,TtlTrfVal,TtlNbOfTxsExctd,SsnId,NewBrdLotQty,Rmks,Rsvd1,Rsvd2,Rsvd3,Rsvd4"
)


def udiff_row(symbol: str, series: str, close: str = "2950.10", day: str = "2024-07-08") -> str:
    return (
        f"{day},{day},CM,NSE,STK,2885,INE002A01018,{symbol},{series},,,,,{symbol} LTD,2940.00,2960.00,"
        f"2930.55,{close},2951.00,2945.00,,{close},,,3456789,10203040506.75,98765,F1,1,,,,,"
    )


UDIFF = "\n".join([
    UDIFF_HEADER, udiff_row("RELIANCE", "EQ"), udiff_row("TCS", "BE", "3900.00"),
    udiff_row("GOLDBEES", "ZZ"), udiff_row("NHAI", "N5"),
]) + "\n"

ACTIONS = """symbol,ex_date,action,ratio_from,ratio_to,price_factor
AAPL,2020-08-31,split,1,4,0.25
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def stored(con) -> list[tuple]:
    ensure_source_tables(con)
    return con.execute(
        "select symbol, trade_date, open, high, low, close, volume, value, trades, series, exchange "
        "from trading_data.market_data order by symbol, trade_date"
    ).fetchall()


@pytest.mark.parametrize(
    ("name", "text", "fmt", "expected_rows", "expected_skipped"),
    [
        ("us.csv", OHLCV, "ohlcv-csv", 3, 0),
        ("INFY.csv", NSE_HISTORY, "nse-history", 2, 0),
        ("cm01JAN2020bhav.csv", BHAVCOPY, "nse-bhavcopy", 2, 2),
        ("BhavCopy_NSE_CM_0_0_0_20240708_F_0000.csv", UDIFF, "nse-udiff", 2, 2),
    ],
)
def test_each_format_loads_with_auto_detection_and_explicitly(
    tmp_path, warehouse_path, name, text, fmt, expected_rows, expected_skipped,
):
    path = write(tmp_path, name, text)
    with connect(warehouse_path) as con:
        report = load_paths(con, [path])
        assert report.inserted == expected_rows
        assert report.skipped_non_equity == expected_skipped
        assert report.rows_read == expected_rows + expected_skipped
        rows = stored(con)
        explicit = load_paths(con, [path], fmt)
    assert len(rows) == expected_rows
    assert explicit.unchanged == expected_rows and explicit.inserted == 0 and explicit.replaced == 0


def test_bhavcopy_keeps_equity_series_with_their_values(tmp_path, warehouse_path):
    with connect(warehouse_path) as con:
        load_paths(con, [write(tmp_path, "bhav.csv", BHAVCOPY)])
        rows = stored(con)
    assert [(r[0], str(r[1]), r[9]) for r in rows] == [("RELIANCE", "2020-01-01", "EQ"), ("SBIN", "2020-01-01", "BE")]
    reliance = rows[0]
    assert reliance[2:9] == (1520.5, 1530.0, 1510.1, 1525.45, 5432100, 8283412345.5, 123456)
    assert reliance[10] == "NSE"


def test_udiff_keeps_equity_series_with_their_values(tmp_path, warehouse_path):
    with connect(warehouse_path) as con:
        load_paths(con, [write(tmp_path, "udiff.csv", UDIFF)])
        rows = stored(con)
    assert [(r[0], str(r[1]), r[9]) for r in rows] == [("RELIANCE", "2024-07-08", "EQ"), ("TCS", "2024-07-08", "BE")]
    assert rows[0][2:9] == (2940.0, 2960.0, 2930.55, 2950.10, 3456789, 10203040506.75, 98765)


def test_zipped_csvs_of_every_format_load_together(tmp_path, warehouse_path):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("us.csv", OHLCV)
        bundle.writestr("INFY.csv", NSE_HISTORY)
        bundle.writestr("bhav.csv", BHAVCOPY)
        bundle.writestr("udiff.csv", UDIFF)
        bundle.writestr("actions.csv", ACTIONS)
        bundle.writestr("README.md", "not data")
    with connect(warehouse_path) as con:
        report = load_paths(con, [archive])
        actions = con.execute("select symbol, price_factor from trading_data.corporate_actions").fetchall()
    assert report.files == 5
    # RELIANCE appears in both bhavcopies but on different dates
    assert report.inserted == 3 + 2 + 2 + 2
    assert report.skipped_non_equity == 4
    assert report.corporate_actions == 1 and actions == [("AAPL", 0.25)]


def test_reload_is_idempotent_and_a_changed_row_replaces_and_is_reported(tmp_path, warehouse_path):
    with connect(warehouse_path) as con:
        load_paths(con, [write(tmp_path, "us.csv", OHLCV)])
        again = load_paths(con, [tmp_path / "us.csv"])
        changed = OHLCV.replace("185.64", "185.70")
        replaced = load_paths(con, [write(tmp_path, "us_fixed.csv", changed)])
        rows = stored(con)
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, 3)
    assert (replaced.inserted, replaced.replaced, replaced.unchanged) == (0, 1, 2)
    assert replaced.replaced_keys == [("AAPL", "2024-01-02")]
    assert len(rows) == 3 and rows[0][5] == 185.70


def _bad_udiff(kind: str) -> str:
    lines = UDIFF.splitlines()
    if kind == "columns":
        return UDIFF.replace("ClsPric", "ClosePrice")
    if kind == "date":
        lines[2] = lines[2].replace("2024-07-08", "08/07/2024", 1)
    if kind == "number":
        lines[2] = lines[2].replace("3900.00", "39OO.00", 1)
    return "\n".join(lines) + "\n"


GOOD_OF_FORMAT = {
    "ohlcv-csv": OHLCV.replace("AAPL", "OTHER"),
    "nse-history": NSE_HISTORY,
    "nse-bhavcopy": BHAVCOPY.replace("RELIANCE", "OTHER"),
    "nse-udiff": UDIFF.replace("RELIANCE", "OTHER"),
    "corporate-actions": ACTIONS.replace("AAPL", "OTHER"),
}

# (format, file name, text, words expected in the message, line number expected)
MALFORMED = [
    ("ohlcv-csv", "us.csv", OHLCV.replace("close", "last"), "missing column(s) close", 1),
    ("ohlcv-csv", "us.csv", OHLCV.replace("2024-01-03", "2024-13-03"), "bad date '2024-13-03'", 3),
    ("ohlcv-csv", "us.csv", OHLCV.replace("25258600", "2525x8600"), "bad number '2525x8600' in column volume", 4),
    ("ohlcv-csv", "us.csv", OHLCV.replace("184.25,", "184.25,1,"), "expected 7 columns, found 8", 3),
    ("nse-history", "INFY.csv", NSE_HISTORY.replace(",250", ""), "expected 8 columns, found 7", 1),
    ("nse-history", "INFY.csv", NSE_HISTORY.replace("030117", "320117"), "bad date '320117'", 2),
    ("nse-history", "INFY.csv", NSE_HISTORY.replace("102.0,", "abc,"), "bad number 'abc' in column close", 2),
    ("nse-bhavcopy", "bhav.csv", BHAVCOPY.replace("TOTTRDQTY", "QTY"), "missing column(s) TOTTRDQTY", 1),
    ("nse-bhavcopy", "bhav.csv", BHAVCOPY.replace("01-JAN-2020,50", "2020-01-01,50"), "bad date '2020-01-01'", 3),
    ("nse-bhavcopy", "bhav.csv", BHAVCOPY.replace("1520.5", "1520.5.1"), "bad number '1520.5.1' in column open", 2),
    ("nse-bhavcopy", "bhav.csv", BHAVCOPY.replace("334.0,331.0,", ""), "expected 14 columns, found 12", 3),
    ("nse-udiff", "udiff.csv", _bad_udiff("columns"), "missing column(s) ClsPric", 1),
    ("nse-udiff", "udiff.csv", _bad_udiff("date"), "bad date '08/07/2024'", 3),
    ("nse-udiff", "udiff.csv", _bad_udiff("number"), "bad number '39OO.00' in column close", 3),
    ("corporate-actions", "actions.csv", ACTIONS.replace("0.25", "-1"), "price_factor must be positive", 2),
    ("corporate-actions", "actions.csv", ACTIONS.replace("2020-08-31", "31/08/2020"), "bad date", 2),
    ("corporate-actions", "actions.csv", ACTIONS.replace("price_factor", "factor"),
     "missing column(s) price_factor", 1),
]


@pytest.mark.parametrize(
    ("fmt", "name", "text", "message", "line"), MALFORMED,
    ids=[f"{case[0]}-{case[3].split()[0]}-{index}" for index, case in enumerate(MALFORMED)],
)
def test_malformed_file_names_file_and_line_and_writes_nothing(
    tmp_path, warehouse_path, fmt, name, text, message, line,
):
    good = write(tmp_path, "good.csv", OHLCV.replace("AAPL", "GOOD"))
    bad = write(tmp_path, name, text)
    with connect(warehouse_path) as con:
        load_paths(con, [good])
        before = stored(con)
        # a good file of the same format first in the same call: nothing of it may be written either
        fresh_good = write(tmp_path, "OTHER.csv", GOOD_OF_FORMAT[fmt])
        for requested in ("auto", fmt):
            with pytest.raises(LoadError) as raised:
                load_paths(con, [fresh_good, bad], requested)
            assert str(bad) in str(raised.value)
            assert message in str(raised.value)
            assert raised.value.line == line
            assert f"line {line}" in str(raised.value)
        assert stored(con) == before
        assert con.execute("select count(*) from trading_data.corporate_actions").fetchone() == (0,)


@pytest.mark.parametrize("fmt", ["auto", "ohlcv-csv", "nse-history", "nse-bhavcopy", "nse-udiff", "corporate-actions"])
def test_empty_file_is_refused(tmp_path, warehouse_path, fmt):
    empty = write(tmp_path, "empty.csv", "")
    blank = write(tmp_path, "blank.csv", "\n\n")
    with connect(warehouse_path) as con:
        for path in (empty, blank):
            with pytest.raises(LoadError, match="empty file") as raised:
                load_paths(con, [path], fmt)
            assert str(path) in str(raised.value)
        assert stored(con) == []


@pytest.mark.parametrize(
    ("name", "text"),
    [("us.csv", OHLCV), ("INFY.csv", NSE_HISTORY), ("bhav.csv", BHAVCOPY), ("udiff.csv", UDIFF)],
)
def test_header_only_file_is_refused(tmp_path, warehouse_path, name, text):
    header_only = text.splitlines()[0] + "\n"
    if name == "INFY.csv":
        return  # headerless format: its first line is data
    with connect(warehouse_path) as con, pytest.raises(LoadError, match="no data rows"):
        load_paths(con, [write(tmp_path, name, header_only)])


@pytest.mark.parametrize(
    ("name", "text"),
    [("us.csv", OHLCV), ("INFY.csv", NSE_HISTORY), ("bhav.csv", BHAVCOPY), ("udiff.csv", UDIFF)],
)
def test_wrong_encoding_names_file_and_line(tmp_path, warehouse_path, name, text):
    lines = text.splitlines()
    lines[1] = lines[1].replace(",", ",\u00e9", 1)
    bad = write(tmp_path, name, "\n".join(lines).encode("utf-16"))
    latin = write(tmp_path, "latin-" + name, "\n".join(lines).encode("latin-1"))
    with connect(warehouse_path) as con:
        with pytest.raises(LoadError, match="not UTF-8") as raised:
            load_paths(con, [bad])
        assert str(bad) in str(raised.value) and raised.value.line == 1
        with pytest.raises(LoadError, match="not UTF-8") as raised:
            load_paths(con, [latin])
        assert raised.value.line == 2
        assert stored(con) == []


def test_zipped_bad_member_names_archive_and_member(tmp_path, warehouse_path):
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("good.csv", OHLCV)
        bundle.writestr("bad.csv", OHLCV.replace("183.43", "n/a"))
    with connect(warehouse_path) as con:
        with pytest.raises(LoadError, match=r"bundle.zip:bad.csv, line 3: bad number 'n/a'"):
            load_paths(con, [archive])
        assert stored(con) == []


def test_unknown_layout_asks_for_format(tmp_path, warehouse_path):
    with connect(warehouse_path) as con, pytest.raises(LoadError, match="pass --format"):
        load_paths(con, [write(tmp_path, "odd.csv", "a,b,c\n1,2,3\n")])


def test_missing_file_is_named(tmp_path, warehouse_path):
    with connect(warehouse_path) as con, pytest.raises(LoadError, match="no such file"):
        load_paths(con, [tmp_path / "absent.csv"])
