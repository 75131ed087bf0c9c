"""The path indicators' parameter sets and column names as the dbt project configures them.

The naming rule's one home is the macro path_indicator_columns(); the Python model reads its rows
from the model int_path_indicator_columns. Tests of the pure functions take their sets from the
same rows (`dbt show` of that model, no table needed), so they check the names dbt gives.
"""

from __future__ import annotations

import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path

from strategy_compute.path import PathIndicatorParams
from strategy_engine.paths import PROFILES_DIR, PROJECT_DIR


def configured_column_rows(path_indicator_params: dict | None = None) -> list[dict]:
    """int_path_indicator_columns' rows for the project's var, or for `path_indicator_params`."""
    return [dict(row) for row in _column_rows(json.dumps(path_indicator_params, sort_keys=True))]


def configured_path_params(path_indicator_params: dict | None = None) -> PathIndicatorParams:
    return PathIndicatorParams.from_column_rows(configured_column_rows(path_indicator_params))


@lru_cache(maxsize=8)
def _column_rows(params_json: str) -> tuple[dict, ...]:
    from dbt.cli.main import dbtRunner

    scratch = Path(tempfile.mkdtemp(prefix="path_indicator_sets_"))
    arguments = ["show", "--select", "int_path_indicator_columns", "--indirect-selection", "empty",
                 "--limit", "1000", "--output", "json",
                 "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR),
                 "--target-path", str(scratch / "target"), "--quiet"]
    if params_json != "null":
        arguments += ["--vars", json.dumps({"path_indicator_params": json.loads(params_json)})]
    previous = os.environ.get("SE_DUCKDB_PATH")
    os.environ["SE_DUCKDB_PATH"] = str(scratch / "scratch.duckdb")
    try:
        shown = dbtRunner().invoke(arguments)
    finally:
        if previous is None:
            os.environ.pop("SE_DUCKDB_PATH", None)
        else:
            os.environ["SE_DUCKDB_PATH"] = previous
    assert shown.success, shown.exception
    table = shown.result.results[0].agate_table
    return tuple(dict(zip(table.column_names, row, strict=True)) for row in table.rows)
