"""The payload spelling of scripts/bigquery_emulator.py: every value casts back to itself."""

import importlib.util
import math
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

_SPEC = importlib.util.spec_from_file_location(
    "bigquery_emulator", Path(__file__).resolve().parents[2] / "scripts" / "bigquery_emulator.py"
)
assert _SPEC is not None and _SPEC.loader is not None
bigquery_emulator = importlib.util.module_from_spec(_SPEC)
sys.modules["bigquery_emulator"] = bigquery_emulator
_SPEC.loader.exec_module(bigquery_emulator)


@pytest.mark.parametrize(
    ("value", "sql_type"),
    [
        (0.1, "double"),
        (1e-300, "double"),
        (6074052.875000004, "double"),
        (-2.5e22, "double"),
        (123456789012345, "bigint"),
        (True, "boolean"),
        (date(2020, 8, 24), "date"),
        (datetime(2026, 1, 1, 9, 15, 30, 123456), "timestamp"),
        ("EICHERMOT", "varchar"),
    ],
)
def test_payload_field_casts_back_exactly(value: object, sql_type: str) -> None:
    text = bigquery_emulator.payload_field(value)
    assert duckdb.sql(f"select cast('{text}' as {sql_type})").fetchall()[0][0] == value


def test_payload_field_null_and_nan() -> None:
    assert bigquery_emulator.payload_field(None) == ""
    text = bigquery_emulator.payload_field(float("nan"))
    assert math.isnan(duckdb.sql(f"select cast('{text}' as double)").fetchall()[0][0])


@pytest.mark.parametrize("value", ["", "a\tb", "a\nb", "it's", "back\\slash"])
def test_payload_field_refuses_separators_and_quotes(value: str) -> None:
    with pytest.raises(bigquery_emulator.EmulatorError):
        bigquery_emulator.payload_field(value)


def test_insert_rows_sql_splits_one_literal() -> None:
    sql = bigquery_emulator.insert_rows_sql(
        "p.trading_data.market_data", [("symbol", "STRING"), ("close", "FLOAT64")], [("INFY", 1.5), ("TCS", None)]
    )
    assert sql.count("'INFY\t1.5\nTCS\t'") == 1
    assert "cast(nullif(fields[offset(1)], '') as FLOAT64) as `close`" in sql
