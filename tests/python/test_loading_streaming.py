"""Streaming loads (issue 14): non-finite numbers are stored, the fast reader and the row parser agree,
a fallback mid-file keeps exact counts, errors name the line, and any input is a load or a LoadError."""

from __future__ import annotations

import contextlib
import io
import math
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import strategy_engine.loading.formats as formats
import strategy_engine.loading.loader as loader
from strategy_engine.loading import LoadError, load_paths
from strategy_engine.loading.archives import ArchiveLimits
from strategy_engine.warehouse import connect, ensure_source_tables

HEADER = "symbol,date,open,high,low,close,volume,value"


def rows_of(con) -> list[tuple]:
    ensure_source_tables(con)
    return con.execute(
        "select symbol, trade_date, open, high, low, close, volume, value from trading_data.market_data "
        "order by symbol, trade_date"
    ).fetchall()


@pytest.mark.parametrize("fallback", [False, True], ids=["fast-reader", "row-parser"])
def test_non_finite_prices_load_as_ieee_doubles(tmp_path, warehouse_path, fallback):
    lines = [
        HEADER,
        "INFY,2022-03-01,1700,inf,1690,1710,1000000,1e400",
        "INFY,2022-03-02,-inf,1720,1690,1710,1000000,",
        "INFY,2022-03-03,1700,1720,nan,1710,1000000,NaN",
        "INFY,2022-03-04,1700,1720,1690,1e400,1000000,-1e400",
        "INFY,2022-03-07,1700,1720,1690,Infinity,1000000,",
    ]
    if fallback:  # a thousands separator only the row parser reads
        lines.append('INFY,2022-03-08,"1,700",1720,1690,1710,1000000,')
    path = tmp_path / "nonfinite.csv"
    path.write_text("\n".join(lines) + "\n")
    with connect(warehouse_path) as con:
        report = load_paths(con, [path])
        stored = rows_of(con)
    assert report.inserted == len(lines) - 1
    assert stored[0][3] == math.inf and stored[0][7] == math.inf
    assert stored[1][2] == -math.inf and stored[1][7] is None
    assert math.isnan(stored[2][4]) and math.isnan(stored[2][7])
    assert stored[3][5] == math.inf and stored[3][7] == -math.inf
    assert stored[4][5] == math.inf


@pytest.mark.parametrize("fallback", [False, True], ids=["fast-reader", "row-parser"])
def test_non_finite_huge_or_fractional_volume_loads_as_loaded(tmp_path, warehouse_path, fallback):
    """Volume is stored as loaded (a double); staging rejects these rows with a reason
    (non_finite_value, fractional_volume: tests/python/test_staging_validation.py)."""
    values = ["inf", "nan", "1e400", "1e30", "10.5"]
    lines = [HEADER] + [f"INFY,2022-03-0{day},1,2,0.5,1.5,{value}," for day, value in enumerate(values, start=1)]
    if fallback:  # a thousands separator only the row parser reads
        lines.append('INFY,2022-03-08,1,2,0.5,1.5,"1,000",')
    path = tmp_path / "volume.csv"
    path.write_text("\n".join(lines) + "\n")
    with connect(warehouse_path) as con:
        load_paths(con, [path])
        volumes = [row[0] for row in con.execute(
            "select volume from trading_data.market_data order by trade_date").fetchall()]
    assert volumes[0] == math.inf and math.isnan(volumes[1]) and volumes[2] == math.inf
    assert volumes[3] == 1e30 and volumes[4] == 10.5
    if fallback:
        assert volumes[5] == 1000.0


def _universe(rows: int, symbols: int = 7) -> list[str]:
    first = date(2000, 1, 3)
    return [
        f"S{number},{first + timedelta(days=day)},{day + 1}.25,{day + 2}.5,{day}.75,{day + 1}.5,{1000 + day},"
        for number in range(symbols) for day in range(rows // symbols)
    ]


def test_fallback_after_many_fast_blocks_keeps_exact_rows_and_counts(tmp_path, warehouse_path, monkeypatch):
    monkeypatch.setattr(formats, "BLOCK_BYTES", 4096)
    lines = sorted(set(_universe(6000)))
    # the last line needs the row parser (thousands separator): every fast block before it is discarded
    lines.append('ZZZ,2001-01-01,"1,000.5",1001,999,1000,5,')
    path = tmp_path / "mixed.csv"
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n")
    archive = tmp_path / "mixed.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as bundle:
        bundle.write(path, "mixed.csv")
    for target in (path, archive):
        with connect(warehouse_path) as con:
            report = load_paths(con, [target])
            stored = rows_of(con)
        assert len(stored) == len(lines)
        assert stored[-1][:3] == ("ZZZ", stored[-1][1], 1000.5)
        assert report.rows_read == len(lines)
        if target == path:
            assert report.inserted == len(lines)
        else:
            assert report.unchanged == len(lines) and report.inserted == 0


def test_bad_value_deep_in_a_file_names_its_line(tmp_path, warehouse_path, monkeypatch):
    monkeypatch.setattr(formats, "BLOCK_BYTES", 64 << 10)
    lines = sorted(set(_universe(30_000)))
    bad_line = 25_000
    cells = lines[bad_line - 2].split(",")
    cells[5] = "12x.5"
    lines[bad_line - 2] = ",".join(cells)
    # empty lines (pyarrow does not count them as rows, the line numbers do) before and after it
    for position in (10, 5_000, 24_000, 26_000):
        lines[position] = ""
    path = tmp_path / "deep.csv"
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n")
    located = []

    def locate(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        try:
            formats.locate_bad_row(*args, **kwargs)
        except LoadError as error:
            located.append(error.line)
            raise

    # found where the fast reader stopped, not by parsing the file again from line 1
    monkeypatch.setattr(loader, "locate_bad_row", locate)
    with connect(warehouse_path) as con:
        with pytest.raises(LoadError, match="bad number '12x.5' in column close") as raised:
            load_paths(con, [path])
        assert rows_of(con) == []
    assert raised.value.line == bad_line and f"line {bad_line}:" in str(raised.value)
    assert located == [bad_line]


def test_exchange_and_history_formats_read_the_same_fast_and_row_by_row(tmp_path):
    from test_loading_formats import BHAVCOPY, NSE_HISTORY, UDIFF

    for fmt, name, text in [("nse-bhavcopy", "bhav.csv", BHAVCOPY), ("nse-udiff", "udiff.csv", UDIFF),
                            ("nse-history", "INFY.csv", NSE_HISTORY)]:
        header = text.splitlines()[0].split(",")
        fast_tally, row_tally = formats.Tally(), formats.Tally()
        fast = formats.pa.concat_tables(
            list(formats.FAST_READERS[fmt](io.BytesIO(text.encode()), header, name, fast_tally))
        ).to_pandas(date_as_object=True)
        rows = formats._collect(fmt, text, name)
        formats.pd.testing.assert_frame_equal(fast, rows, check_dtype=False)
        list(formats.row_chunks(fmt, io.BytesIO(text.encode()), name, row_tally))
        assert fast_tally.skipped_non_equity == row_tally.skipped_non_equity


# -- fuzzing: any bytes, any CSV-ish text: a load or a LoadError, never another exception ------------

CELLS = st.one_of(
    st.sampled_from(["", "-", "inf", "-inf", "nan", "1e400", "1e30", "9223372036854775808", "0x10", "1,000",
                     "2024-01-02", "2024-02-30", "02-JAN-2024", "020124", "EQ", "ZZ", "NSE", "AAPL", " 1.5 ",
                     '"', '""', "\r", "\x00", "é", "\ufeff", "1.5", "-2", "100", "symbol", "date"]),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
)
HEADERS = st.sampled_from([
    "symbol,date,open,high,low,close,volume",
    "symbol,date,open,high,low,close,volume,value,trades,series,exchange",
    "SYMBOL,SERIES,OPEN,HIGH,LOW,CLOSE,LAST,PREVCLOSE,TOTTRDQTY,TOTTRDVAL,TIMESTAMP,TOTALTRADES,ISIN,",
    "TradDt,Src,TckrSymb,SctySrs,OpnPric,HghPric,LwPric,ClsPric,TtlTradgVol,TtlTrfVal,TtlNbOfTxsExctd",
    "symbol,ex_date,action,ratio_from,ratio_to,price_factor",
    "020117,100.0,102.5,99.0,101.0,1000000.5,10000,250",
    "",
])
CSV_TEXT = st.builds(
    lambda header, rows, sep: header + sep + sep.join(",".join(row) for row in rows),
    HEADERS, st.lists(st.lists(CELLS, min_size=0, max_size=14), max_size=8), st.sampled_from(["\n", "\r\n", "\r"]),
)
# bounded: 2 x 120 examples take about 10 s; no example database is written into the work tree
FUZZ = settings(max_examples=120, deadline=None, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
_counter = iter(range(10**9))


def _load_or_load_error(con, path: Path, fmt: str = "auto") -> None:
    with contextlib.suppress(LoadError):
        load_paths(con, [path], fmt, ArchiveLimits(max_nesting=1))


@FUZZ
@given(text=CSV_TEXT, fmt=st.sampled_from(["auto", "ohlcv-csv", "nse-history", "nse-bhavcopy", "nse-udiff",
                                           "corporate-actions"]))
def test_fuzz_csv_text_is_a_load_or_a_load_error(tmp_path, warehouse_path, text, fmt):
    path = tmp_path / f"fuzz{next(_counter)}.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with connect(warehouse_path) as con:
        _load_or_load_error(con, path, fmt)


@FUZZ
@given(data=st.binary(max_size=400), zipped=st.booleans())
def test_fuzz_bytes_plain_or_zipped_are_a_load_or_a_load_error(tmp_path, warehouse_path, data, zipped):
    path = tmp_path / f"fuzz{next(_counter)}.{'zip' if zipped else 'csv'}"
    if zipped:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("member.csv", data)
            archive.writestr("nested.zip", data)
        raw = bytearray(path.read_bytes())
        # and a few bytes of the archive itself flipped
        for position in range(0, len(raw), max(1, len(raw) // 5)):
            raw[position] ^= data[0] if data else 0xFF
        path.write_bytes(bytes(raw))
    else:
        path.write_bytes(data)
    with connect(warehouse_path) as con:
        _load_or_load_error(con, path)
