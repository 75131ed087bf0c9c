"""Running dbt programmatically (dbtRunner) against this project and reading its results."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from strategy_engine.paths import PROFILES_DIR, PROJECT_DIR, default_target

# dbt events that say how `parse` used target/partial_parse.msgpack.
_PARSE_EVENTS = {
    "PartialParsingSkipParsing": "unchanged",  # nothing changed: the saved manifest is used as is
    "PartialParsingEnabled": "partial",  # some files changed: only those are parsed again
    "UnableToPartialParse": "full",  # vars, profile, target or dbt version changed
    "PartialParseSaveFileNotFound": "full",  # first run in this target path
}


@dataclass
class DbtOutcome:
    success: bool
    results: list[dict]
    target_path: Path
    error: str | None = None

    @property
    def failures(self) -> list[dict]:
        return [r for r in self.results if r.get("status") in {"error", "fail", "runtime error"}]

    def keep_run_results(self, step: str) -> None:
        """Copy run_results.json to run_results_<step>.json: the job's next invocation replaces it."""
        source = self.target_path / "run_results.json"
        if source.exists():
            shutil.copyfile(source, self.target_path / f"run_results_{step}.json")


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


def _base_args(target: str | None, target_dir: Path) -> list[str]:
    args = ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROFILES_DIR), "--target-path", str(target_dir)]
    return [*args, "--target", target] if target else args


def _invoke(runner: Any, cli_args: list[str], target_dir: Path, write_run_results: bool = False) -> DbtOutcome:
    """`write_run_results`: the invocation runs with `--no-write-json` and its run_results.json
    is written here from the in-memory result."""
    run_results_file = target_dir / "run_results.json"
    run_results_file.unlink(missing_ok=True)  # a failed invocation must not report the previous results
    try:
        result = runner.invoke(cli_args)
        if write_run_results and hasattr(result.result, "write"):
            result.result.write(str(run_results_file))
    finally:
        _release_duckdb()
    results: list[dict] = []
    if run_results_file.exists():
        results = json.loads(run_results_file.read_text()).get("results", [])
    error = str(result.exception) if result.exception else None
    return DbtOutcome(success=bool(result.success), results=results, target_path=target_dir, error=error)


def run_dbt(args: list[str], target: str | None = None, target_path: str | None = None,
            vars: dict | None = None) -> DbtOutcome:
    """Invoke `dbt <args>` in-process; returns the parsed run_results.json."""
    from dbt.cli.main import dbtRunner

    target_dir = Path(target_path or os.environ.get("DBT_TARGET_PATH", PROJECT_DIR / "target"))
    cli_args = [*args, *_base_args(target, target_dir)]
    if vars:
        cli_args += ["--vars", json.dumps(vars)]
    return _invoke(dbtRunner(), cli_args, target_dir)


PARTIAL_PARSE_FILE = "partial_parse.msgpack"
MANIFEST_FILE = "manifest.json"
# dbt writes manifest.json (about 0.4 s for this project) after every parse and every build. A job
# writes it once, when its parse changed the manifest, and writes run_results.json itself.
_NO_ARTIFACTS = ["--no-write-json"]


def _default_target_path() -> Path:
    return Path(os.environ.get("DBT_TARGET_PATH", PROJECT_DIR / "target"))


def job_target_path(target: str) -> Path:
    """One stable target path per dbt target, so dbt's partial_parse.msgpack survives between the
    daily runs (a fresh path, or another target in the same path, means a full parse)."""
    return _default_target_path() / f"job-{target}"


def seed_partial_parse(job_dir: Path) -> bool:
    """Give a job target path that has never been parsed the partial-parse file a plain `dbt build`
    or `dbt parse` left in the default target path, so the first daily run after a manual build
    does not parse the whole project again. Safe with any copy: dbt compares the file's state key
    (dbt version, profile and target, vars, project files) and parses in full when it differs.
    Returns whether a file was copied."""
    source = _default_target_path() / PARTIAL_PARSE_FILE
    destination = job_dir / PARTIAL_PARSE_FILE
    if destination.exists() or not source.is_file():
        return False
    job_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, destination)
    return True


@dataclass
class DbtJob:
    """The dbt invocations of one job: parsed once, then every invocation reuses that manifest.

    No `--vars` here: command-line vars are part of dbt's partial-parse key, so a value that changes
    every day would force a full parse every day.
    """

    target: str
    target_dir: Path = field(init=False)
    parse_mode: str = "not parsed"
    parse_seconds: float = 0.0
    _manifest: Any = None

    def __post_init__(self) -> None:
        self.target_dir = job_target_path(self.target)

    def _args(self) -> list[str]:
        # `--target` is part of dbt's partial-parse key as typed: the default target goes without
        # it, as in a plain `dbt build`, so the job can start from that build's parse.
        return _base_args(None if self.target == default_target() else self.target, self.target_dir)

    def parse(self) -> DbtOutcome:
        from dbt.cli.main import dbtRunner

        modes: list[str] = []

        def note_parse_event(event: Any) -> None:
            mode = _PARSE_EVENTS.get(event.info.name)
            if mode:
                modes.append(mode)

        started = time.perf_counter()
        seed_partial_parse(self.target_dir)
        try:
            runner = dbtRunner(callbacks=[note_parse_event])
            result = runner.invoke(["parse", *_NO_ARTIFACTS, *self._args()])
            # A failed partial parse falls back to a full one: the last word counts.
            self.parse_mode = modes[-1] if modes else "partial"
            manifest_file = self.target_dir / MANIFEST_FILE
            if result.success and (self.parse_mode != "unchanged" or not manifest_file.exists()):
                result.result.write(str(manifest_file))
        finally:
            _release_duckdb()
        self.parse_seconds = time.perf_counter() - started
        if result.success:
            self._manifest = result.result
        error = str(result.exception) if result.exception else None
        return DbtOutcome(success=bool(result.success), results=[], target_path=self.target_dir, error=error)

    def invoke(self, args: list[str]) -> DbtOutcome:
        """`dbt <args>` with the job's manifest (parsed first if needed)."""
        from dbt.cli.main import dbtRunner

        if self._manifest is None:
            parsed = self.parse()
            if not parsed.success:
                return parsed
        return _invoke(dbtRunner(manifest=self._manifest), [*args, *_NO_ARTIFACTS, *self._args()],
                       self.target_dir, write_run_results=True)

    def selected(self, args: list[str]) -> list[str]:
        """The unique ids `dbt ls <args>` selects (no warehouse query)."""
        from dbt.cli.main import dbtRunner

        if self._manifest is None and not self.parse().success:
            return []
        result = dbtRunner(manifest=self._manifest).invoke(
            ["--quiet", "ls", "--output", "json", "--output-keys", "unique_id", *args,
             *self._args()])
        _release_duckdb()
        return [json.loads(line)["unique_id"] for line in (result.result or [])]
