"""The bundled sample loads completely and idempotently."""

from __future__ import annotations

from strategy_engine.loading import load_paths
from strategy_engine.paths import SAMPLE_MARKET_DATA
from strategy_engine.warehouse import connect


def test_sample_loads_once_and_reload_changes_nothing(warehouse_path):
    with connect(warehouse_path) as con:
        first = load_paths(con, [SAMPLE_MARKET_DATA])
        second = load_paths(con, [SAMPLE_MARKET_DATA])
        stored = con.execute("select count(*), count(distinct symbol) from trading_data.market_data").fetchone()
    assert first.inserted == 63446 and first.files == 50
    assert second.inserted == 0 and second.replaced == 0 and second.unchanged == 63446
    assert stored == (63446, 50)


def test_sample_symbols_are_the_member_file_names(warehouse_path):
    with connect(warehouse_path) as con:
        load_paths(con, [SAMPLE_MARKET_DATA])
        symbols = {row[0] for row in con.execute("select distinct symbol from trading_data.market_data").fetchall()}
    assert {"EICHERMOT", "AXISBANK", "M&M", "BAJAJ-AUTO"} <= symbols
    assert all(":" not in symbol and "." not in symbol for symbol in symbols)
