"""Shared fixtures: a throwaway DuckDB warehouse per test session."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

PROJECT_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(PROJECT_DIR / "scripts"))

from mart_baseline import build_sample  # noqa: E402  (scripts/ is on the path from here on)


@dataclass(frozen=True)
class SampleBuild:
    warehouse: Path
    manifest: Path


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> SampleBuild:
    """The bundled sample loaded into a fresh DuckDB file and built in full (no data tests), once
    per session for the tests that compare marts with a record. Read it; never write to it."""
    warehouse, manifest = build_sample(tmp_path_factory.mktemp("sample_build"))
    return SampleBuild(warehouse, manifest)


@pytest.fixture()
def warehouse_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SE_DUCKDB_PATH", str(path))
    return path


@pytest.fixture()
def runner_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway warehouse, dbt target and log paths, outbox and reports folder for the runner's
    commands, with no alert channels and the default target, ops store and run-lock wait."""
    monkeypatch.setenv("SE_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    monkeypatch.setenv("SE_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.setenv("SE_REPORTS_DIR", str(tmp_path / "reports"))
    for name in ["SE_ALERT_URLS", "SE_TARGET", "SE_OPS_DUCKDB_PATH", "SE_RUN_LOCK_WAIT_SECONDS"]:
        monkeypatch.delenv(name, raising=False)
    return tmp_path


os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "False")
