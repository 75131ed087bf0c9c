"""Run the project on a local BigQuery stand-in (`make bigquery-emulator`).

Starts crucible-emulator (a DuckDB-backed BigQuery API, installed in its own venv .venv-emulator
because it pins duckdb 1.5) on a free 127.0.0.1 port, loads a few symbols of the bundled sample
into its source tables, runs `dbt seed`, `dbt build` and a second `dbt build` (the incremental path)
against the `bq_emulator` target with --target-path target/bigquery-emulator, compares row counts
and sums with a DuckDB build of the same symbols, and stops the emulator by its process id.

Python models and their children are excluded: they run on Dataproc on BigQuery, which no
emulator provides (docs/BIGQUERY.md).
"""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, datetime
from pathlib import Path

import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
EMULATOR_VENV = PROJECT_DIR / ".venv-emulator"
EMULATOR_PACKAGE = "crucible-emulator[server]==0.1.0a2"
TARGET_PATH = Path("target/bigquery-emulator")
SAMPLE = Path("data/sample/nifty50_2017_2022.zip")
SYMBOLS = ("RELIANCE", "INFY", "EICHERMOT")
PROJECT = "strategy-engine-emulator"
EXCLUDE = ["--exclude", "path:python_models+"]
SOURCE_TABLES = ("market_data", "corporate_actions")
# (model, expression) pairs compared between the DuckDB and the emulator build, when the model exists.
COMPARED = [
    ("stg_market_data", "count(*)"),
    ("stg_market_data", "round(sum(close), 4)"),
    ("stg_market_data", "round(sum(adjustment_factor), 6)"),
    ("market_data_rejected", "count(*)"),
    ("indicators", "count(*)"),
    ("indicators", "round(sum(sma_20), 2)"),
    ("indicators", "round(sum(rsi_14), 2)"),
    ("signals", "count(*)"),
    ("trades", "count(*)"),
]


def log(message: str) -> None:
    print(f"bigquery-emulator: {message}", flush=True)


def ensure_emulator() -> Path:
    crucible = EMULATOR_VENV / "bin" / "crucible"
    if not crucible.exists():
        log(f"installing {EMULATOR_PACKAGE} into {EMULATOR_VENV}")
        subprocess.run([sys.executable, "-m", "venv", str(EMULATOR_VENV)], check=True)
        subprocess.run(
            [str(EMULATOR_VENV / "bin" / "pip"), "install", "--quiet", "--pre", EMULATOR_PACKAGE], check=True
        )
    return crucible


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_crucible/health", timeout=2) as response:
                if json.loads(response.read()).get("status") == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"emulator not healthy on port {port} after {timeout:.0f}s")


def dbt(args: list[str], env: dict[str, str]) -> None:
    command = [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", ".", "--profiles-dir", "profiles"]
    log(" ".join(command[1:]))
    result = subprocess.run(command, cwd=PROJECT_DIR, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        print(result.stdout[-6000:], file=sys.stderr)
        raise RuntimeError(f"dbt {args[0]} failed")


def sql_literal(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, datetime):
        return f"timestamp '{value.isoformat(sep=' ')}'"
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def bigquery_client(port: int):
    from google.api_core.client_options import ClientOptions
    from google.auth.credentials import AnonymousCredentials
    from google.cloud import bigquery

    return bigquery.Client(
        project=PROJECT,
        credentials=AnonymousCredentials(),
        client_options=ClientOptions(api_endpoint=f"http://127.0.0.1:{port}"),
    )


def copy_sources(warehouse: duckdb.DuckDBPyConnection, client, chunk: int = 500) -> None:
    for table in SOURCE_TABLES:
        relation = warehouse.sql(f"select * from trading_data.{table}")
        columns, rows = relation.columns, relation.fetchall()
        for start in range(0, len(rows), chunk):
            values = ",\n".join(
                "(" + ", ".join(sql_literal(v) for v in row) + ")" for row in rows[start : start + chunk]
            )
            client.query(
                f"insert into `{PROJECT}`.trading_data.{table} ({', '.join(columns)}) values {values}"
            ).result()
        log(f"copied {len(rows)} rows into trading_data.{table}")


def compare(warehouse: duckdb.DuckDBPyConnection, client, schemas: dict[str, str]) -> list[str]:
    mismatches = []
    for model, expression in COMPARED:
        if model not in schemas:
            continue
        schema = schemas[model]
        expected = warehouse.sql(f"select {expression} from {schema}.{model}").fetchone()[0]
        actual = next(iter(client.query(f"select {expression} from `{PROJECT}`.{schema}.{model}").result()))[0]
        same = expected == actual or (
            isinstance(expected, float) and actual is not None and math.isclose(expected, actual, rel_tol=1e-9)
        )
        log(f"{model}: {expression} duckdb={expected} emulator={actual} {'ok' if same else 'MISMATCH'}")
        if not same:
            mismatches.append(f"{model} {expression}: duckdb={expected} emulator={actual}")
    return mismatches


def model_schemas(manifest_path: Path) -> dict[str, str]:
    manifest = json.loads(manifest_path.read_text())
    return {
        node["name"]: node["schema"]
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node.get("language") == "sql"
    }


def main() -> int:
    started = time.monotonic()
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    workdir = PROJECT_DIR / TARGET_PATH
    workdir.mkdir(parents=True, exist_ok=True)
    warehouse_path = workdir / "duckdb_reference.duckdb"
    warehouse_path.unlink(missing_ok=True)
    duck_env = {**env, "SE_DUCKDB_PATH": str(warehouse_path)}
    subprocess.run(
        [sys.executable, "-m", "strategy_engine", "load", str(SAMPLE)],
        cwd=PROJECT_DIR, env=duck_env, check=True, capture_output=True,
    )
    with duckdb.connect(str(warehouse_path)) as warehouse:
        kept = ", ".join(sql_literal(s) for s in SYMBOLS)
        for table in SOURCE_TABLES:
            warehouse.execute(f"delete from trading_data.{table} where symbol not in ({kept})")
    dbt(["build", "--target", "ci", "--target-path", str(TARGET_PATH / "duckdb"), *EXCLUDE], duck_env)

    crucible = ensure_emulator()
    port = free_port()
    emulator = subprocess.Popen(
        [str(crucible), "serve", "--dialect", "bigquery", "--host", "127.0.0.1", "--port", str(port)],
        stdout=open(workdir / "emulator.log", "wb"),  # noqa: SIM115 - lives as long as the emulator
        stderr=subprocess.STDOUT,
    )
    log(f"emulator pid {emulator.pid} on 127.0.0.1:{port}")
    emulator_env = {**env, "SE_BQ_EMULATOR_PORT": str(port)}
    common = ["--target", "bq_emulator", "--target-path", str(TARGET_PATH), "--log-path", "logs/bigquery-emulator"]
    try:
        wait_healthy(port)
        dbt(["seed", *common], emulator_env)  # on-run-start creates the source tables
        client = bigquery_client(port)
        with duckdb.connect(str(warehouse_path), read_only=True) as warehouse:
            copy_sources(warehouse, client)
        dbt(["build", *common, *EXCLUDE], emulator_env)
        dbt(["build", *common, *EXCLUDE], emulator_env)  # second run: incremental models take their incremental path
        schemas = model_schemas(PROJECT_DIR / TARGET_PATH / "manifest.json")
        with duckdb.connect(str(warehouse_path), read_only=True) as warehouse:
            mismatches = compare(warehouse, client, schemas)
    finally:
        emulator.terminate()
        try:
            emulator.wait(timeout=10)
        except subprocess.TimeoutExpired:
            emulator.kill()
        log(f"emulator pid {emulator.pid} stopped")
    for mismatch in mismatches:
        print(f"bigquery-emulator: MISMATCH {mismatch}", file=sys.stderr)
    log(f"{'FAILED' if mismatches else 'ok'} in {time.monotonic() - started:.0f}s")
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
