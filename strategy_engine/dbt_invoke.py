"""Running dbt programmatically (dbtRunner) against this project and reading its results."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from strategy_engine.paths import PROFILES_DIR, PROJECT_DIR


@dataclass
class DbtOutcome:
    success: bool
    results: list[dict]
    target_path: Path
    error: str | None = None

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.results if r.get("status") in {"error", "fail", "runtime error"}]


def _release_duckdb() -> None:
    """Close dbt-duckdb's cached in-process database, so this process can open the file again
    (with another configuration, or read-only) once dbt is done."""
    try:
        from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    except ImportError:
        return
    environment = DuckDBConnectionManager._ENV
    if environment is not None and hasattr(environment, "close"):
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def run_dbt(args: list[str], target: str | None = None, target_path: str | None = None,
            vars: dict | None = None) -> DbtOutcome:
    """Invoke `dbt <args>` in-process; returns the parsed run_results.json."""
    from dbt.cli.main import dbtRunner

    target_dir = Path(target_path or os.environ.get("DBT_TARGET_PATH", PROJECT_DIR / "target"))
    cli_args = [
        *args,
        "--project-dir", str(PROJECT_DIR),
        "--profiles-dir", str(PROFILES_DIR),
        "--target-path", str(target_dir),
    ]
    if target:
        cli_args += ["--target", target]
    if vars:
        cli_args += ["--vars", json.dumps(vars)]
    try:
        result = dbtRunner().invoke(cli_args)
    finally:
        _release_duckdb()
    run_results_file = target_dir / "run_results.json"
    results: list[dict] = []
    if run_results_file.exists():
        results = json.loads(run_results_file.read_text()).get("results", [])
    error = str(result.exception) if result.exception else None
    return DbtOutcome(success=bool(result.success), results=results, target_path=target_dir, error=error)
