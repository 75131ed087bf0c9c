"""The offline BigQuery check flags DuckDB-only SQL and parse errors, and passes portable SQL."""

import importlib.util
import sys
from pathlib import Path

import pytest

_SPEC = importlib.util.spec_from_file_location(
    "bigquery_check", Path(__file__).resolve().parents[2] / "scripts" / "bigquery_check.py"
)
bigquery_check = importlib.util.module_from_spec(_SPEC)
sys.modules["bigquery_check"] = bigquery_check
_SPEC.loader.exec_module(bigquery_check)


def _node(code: str, language: str = "sql") -> "bigquery_check.CompiledNode":
    return bigquery_check.CompiledNode("model.strategy_engine.example", "first_run", language, code, "x.sql")


def test_portable_bigquery_sql_passes():
    sql = """
        with prices as (
            select symbol, trade_date, cast(close as float64) as close
            from `proj`.strategy_data.stg_market_data
            where trade_date >= date_sub(current_date(), interval 30 day)
        )
        select symbol, trade_date,
            avg(close) over (partition by symbol order by trade_date rows between 19 preceding and current row)
                as sma_20
        from prices
        qualify row_number() over (partition by symbol order by trade_date desc) = 1
    """
    assert bigquery_check.check_node(_node(sql)) == []


@pytest.mark.parametrize(
    ("sql", "name"),
    [
        ("select close::double as c from t", "::cast"),
        ("select list_aggregate(x, 'sum') from t", "list_*()"),
        ("select struct_pack(a := 1) from t", "struct_pack()"),
        ("select epoch_ms(ts) from t", "epoch_ms()"),
        ("select strftime(d, '%Y') from t", "strftime()"),
        ("select date_diff('day', a, b) from t", "date_diff('part', ...)"),
        ("select cast(x as varchar) from t", "DuckDB type"),
        ("select * exclude (a) from t", "select * exclude"),
        ("select avg(x) over w from t window w as (order by d)", "named window clause"),
    ],
)
def test_duckdb_only_spellings_are_named(sql, name):
    assert name in [found for found, _ in bigquery_check.duckdb_only_findings(sql)]


def test_patterns_ignore_comments_and_strings():
    sql = "-- epoch_ms(x) in a comment\nselect 'strftime(' as label, \"\"\"list_value(\"\"\" as t from t"
    assert bigquery_check.duckdb_only_findings(sql) == []


def test_parse_errors_fail_with_the_node_name():
    findings = bigquery_check.check_node(_node("select from where ,"))
    kinds = {finding.kind for finding in findings}
    assert "sqlglot bigquery parse" in kinds
    assert "sqlfluff bigquery parse" in kinds
    assert all("model.strategy_engine.example" in str(finding) for finding in findings)


def test_python_models_must_be_valid_python():
    assert bigquery_check.check_node(_node("def model(dbt, session):\n    return 1\n", "python")) == []
    assert bigquery_check.check_node(_node("def model(:\n", "python"))[0].kind == "python syntax"
