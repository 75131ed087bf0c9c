"""The deploy files keep their promises: the image's health check probes liveness, its base image
is pinned by digest, and the daily workflow never uploads an ops store after a failed download."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import threading
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
import yaml

from strategy_engine import ops
from strategy_engine.paths import PROJECT_DIR
from strategy_engine.published import publish
from strategy_engine.server import build_server

DOCKERFILE = (PROJECT_DIR / "Dockerfile").read_text()
WORKFLOW = yaml.safe_load((PROJECT_DIR / ".github/workflows/daily.yml").read_text())


def _healthcheck_command() -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    line = next(line for line in joined.splitlines() if line.startswith("HEALTHCHECK"))
    return json.loads(line[line.index("CMD") + 3:].strip())


def test_base_images_are_pinned_by_digest() -> None:
    args = dict(re.findall(r"^ARG (\w+)=(\S+)$", DOCKERFILE, flags=re.MULTILINE))
    images = re.findall(r"^FROM (\S+)", DOCKERFILE, flags=re.MULTILINE)
    assert images
    for image in images:
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        assert re.fullmatch(r"python:3\.11\.11-slim-bookworm@sha256:[0-9a-f]{64}", resolved), resolved


def test_healthcheck_probes_livez_which_stays_200_on_stale_data_and_a_failed_run(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    command = _healthcheck_command()
    assert command[:2] == ["python", "-c"] and "/livez'" in command[2] and "/health'" not in command[2]
    monkeypatch.setenv("SE_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv("SE_OPS_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("SE_PUBLISHED_DUCKDB_PATH", raising=False)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        con.execute("create schema intermediate")
        con.execute("create table intermediate.int_market_data_adjusted as "
                    "select 'INFY' as symbol, date '2022-01-03' as trade_date")
    publish()
    ops.record_run(ops.RunRecord("r1", "run", date(2022, 1, 3), "local", status="failed", finished_at=datetime.now()))
    # A month later with a failed last run: /health says 503, the container must stay up.
    server = build_server("127.0.0.1", 0, "local", today=lambda: date(2022, 2, 3), run_job=lambda d, f: 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = str(server.server_address[1])
    try:
        probe = subprocess.run([sys.executable, "-c", command[2]], env={**os.environ, "PORT": port},
                               capture_output=True, text=True, timeout=30)
        health = subprocess.run([sys.executable, "-c", command[2].replace("/livez", "/health")],
                                env={**os.environ, "PORT": port}, capture_output=True, text=True, timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    assert probe.returncode == 0, probe.stderr
    assert health.returncode != 0 and "503" in health.stderr  # why the probe must not use /health


def _steps() -> list[dict]:
    return WORKFLOW["jobs"]["daily"]["steps"]


def _restore_step() -> dict:
    return next(step for step in _steps() if "restore the operations store" in step.get("name", ""))


@pytest.mark.parametrize(("scenario", "succeeds", "restored"), [
    ("first-run", True, False),       # no store yet: continue, the run creates one
    ("present", True, True),
    ("describe-fails", False, False),  # e.g. 503 or a permission error: stop
    ("copy-fails", False, False),
])
def test_the_ops_store_download_stops_the_job_unless_there_is_no_store_yet(
        tmp_path: Path, scenario: str, succeeds: bool, restored: bool) -> None:
    fake = tmp_path / "bin" / "gcloud"
    fake.parent.mkdir()
    fake.write_text(f"""#!/usr/bin/env bash
scenario={scenario}
if [ "$2" = objects ] && [ "$3" = describe ]; then
  case $scenario in
    first-run) echo "ERROR: (gcloud.storage.objects.describe) $4 not found: 404." >&2; exit 1 ;;
    describe-fails) echo "ERROR: (gcloud.storage.objects.describe) HTTPError 503: Service Unavailable" >&2; exit 1 ;;
  esac
  echo ops/ops_store.duckdb; exit 0
fi
if [ "$2" = cp ]; then
  [ $scenario = copy-fails ] && {{ echo "ERROR: connection reset" >&2; exit 1; }}
  echo stored-history > "$4"; exit 0
fi
echo "unexpected gcloud call: $*" >&2; exit 2
""")
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    workdir = tmp_path / "workspace"
    workdir.mkdir()
    env = {**os.environ, "PATH": f"{fake.parent}:{os.environ['PATH']}", "SE_ARTIFACTS_BUCKET": "bucket"}
    # GitHub runs a `run:` script with `bash -e`.
    done = subprocess.run(["bash", "-e", "-c", _restore_step()["run"]], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=30)
    assert (done.returncode == 0) == succeeds, (scenario, done.stdout, done.stderr)
    assert (workdir / "ops" / "ops_store.duckdb").exists() == restored


def test_the_ops_store_is_uploaded_only_after_a_successful_download() -> None:
    restore = _restore_step()
    uploads = [step for step in _steps() if "ops_store.duckdb" in step.get("run", "") and step is not restore]
    assert len(uploads) == 1
    condition = uploads[0]["if"]
    assert f"steps.{restore['id']}.outcome == 'success'" in condition, condition
    assert _steps().index(restore) < _steps().index(uploads[0])
