"""The unique_combination test's DuckDB form (a hash pass first) finds exactly what the plain
group-by form finds: repeated combinations, NULLs grouped as equal, reserved-word columns."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from strategy_engine.paths import PROFILES_DIR, PROJECT_DIR

ROWS = """(
    select * from (values
        (1, 'x', date '2024-01-01'), (1, 'x', date '2024-01-01'), (1, 'x', date '2024-01-02'),
        (2, 'y', date '2024-01-01'), (null, null, null), (null, null, null), (3, null, date '2024-01-01'),
        (3, null, date '2024-01-01'), (3, null, date '2024-01-01')
    ) as rows_under_test (a, "window", trade_date)
)"""
UNIQUE_ROWS = "(select range as a, 'x' as \"window\", date '2024-01-01' as trade_date from range(1000))"
SPLIT = "-- both forms --"


def _compiled(tmp_path: Path, rows: str) -> tuple[str, str]:
    from dbt.cli.main import dbtRunner

    columns = "['a', 'window', 'trade_date']"
    inline = (f"{{{{ test_unique_combination({rows!r}, {columns}) }}}}\n{SPLIT}\n"
              f"{{{{ default__unique_combination_sql({rows!r}, {columns}) }}}}")
    result = dbtRunner().invoke(["--quiet", "compile", "--inline", inline, "--project-dir", str(PROJECT_DIR),
                                 "--profiles-dir", str(PROFILES_DIR), "--target-path", str(tmp_path / "target")])
    assert result.success, result.exception
    duckdb_form, default_form = result.result.results[0].node.compiled_code.split(SPLIT)
    assert "hash(" in duckdb_form and "hash(" not in default_form
    return duckdb_form, default_form


@pytest.mark.parametrize("rows, expected", [
    (ROWS, [(1, "x", "2024-01-01", 2), (3, None, "2024-01-01", 3), (None, None, None, 2)]),
    (UNIQUE_ROWS, []),
])
def test_duckdb_form_finds_what_the_group_by_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                  rows: str, expected: list[tuple]) -> None:
    monkeypatch.setenv("SE_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    duckdb_form, default_form = _compiled(tmp_path, rows)
    with duckdb.connect() as con:
        def found(sql: str) -> list[tuple]:
            rows_found = con.execute(sql).fetchall()
            return sorted(((a, w, None if d is None else d.isoformat(), n) for a, w, d, n in rows_found), key=repr)
        assert found(duckdb_form) == found(default_form) == sorted(expected, key=repr)
