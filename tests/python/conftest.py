"""Shared fixtures: a throwaway DuckDB warehouse per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture()
def warehouse_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SE_DUCKDB_PATH", str(path))
    return path


os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
