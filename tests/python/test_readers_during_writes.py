"""Readers during a write: a real `strategy-engine serve` answers every GET from the last published
snapshot while a full rebuild in another process holds the warehouse (issue 14)."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from strategy_engine import cli
from strategy_engine.published import publish

SYMBOLS = ["INFY", "TCS", "RELIANCE"]
# Signals with everything upstream, performance, and the parents of the tests they bring along
# (about 20 s here); a full refresh of it is the writer.
REBUILD = "+signals +performance strategy_param_sets market_data_rejected"
READS = ["/signals?date=2022-02-01", "/signals?date=2022-01-31", "/performance?strategy=sma_crossover",
         "/performance"]
GETS, AT_ONCE = 200, 20


@pytest.fixture()
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    settings = {
        "SE_DUCKDB_PATH": str(tmp_path / "warehouse.duckdb"), "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"), "SE_OUTBOX_DIR": str(tmp_path / "outbox"),
        "SE_REPORTS_DIR": str(tmp_path / "reports"), "SE_TARGET": "local",
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    for name in ["SE_ALERT_URLS", "SE_OPS_DUCKDB_PATH", "SE_PUBLISHED_DUCKDB_PATH"]:
        monkeypatch.delenv(name, raising=False)
    return dict(os.environ)


def _load_prices(tmp_path: Path) -> None:
    lines = ["symbol,date,open,high,low,close,volume"]
    day, sessions = date(2021, 9, 1), []
    while day <= date(2022, 2, 1):
        if day.weekday() < 5:
            sessions.append(day)
        day += timedelta(days=1)
    for j, symbol in enumerate(SYMBOLS):
        for i, session in enumerate(sessions):
            price = 100 + 10 * j + 5 * math.sin(i / 5 + j) + i / 10
            lines.append(f"{symbol},{session},{price:.2f},{price + 2:.2f},{price - 2:.2f},{price + 1:.2f},{1000 + i}")
    (tmp_path / "prices.csv").write_text("\n".join(lines) + "\n")
    assert cli.main(["load", str(tmp_path / "prices.csv")]) == 0


def _publish_a_previous_state(warehouse: Path) -> None:
    """Marts as an earlier build left them (recognisable ids), published; the rebuild replaces them."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema intermediate; create schema strategy_data")
        con.execute("create table intermediate.int_market_data_adjusted as "
                    "select 'INFY' as symbol, date '2022-01-31' as trade_date")
        con.execute(
            "create table strategy_data.signals as select 'previous-' || i as signal_id, "
            "'sma_crossover' as strategy_id, 'p' || i as param_set_id, 'INFY' as symbol, "
            "date '2022-01-31' + cast(i % 2 as integer) as signal_date, "
            "'ENTRY_LONG' as signal_type from range(6) as t(i)"
        )
        con.execute(
            "create table strategy_data.performance as select 'sma_crossover' as strategy_id, "
            "'p' || i as param_set_id, 'previous' as window_name, 0.01 * i as cagr from range(4) as t(i)"
        )
    publish("previous-run", date(2022, 1, 31))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(base: str, path: str) -> tuple[int, object]:
    try:
        with urllib.request.urlopen(base + path, timeout=15) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except (OSError, ValueError) as error:  # a dropped connection, a timeout, a non-JSON body
        return 0, repr(error)


def _wait_for(predicate, seconds: float, what: str) -> None:  # noqa: ANN001 - a zero-argument callable
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_gets_during_a_rebuild_in_another_process_answer_the_published_state(env: dict[str, str],
                                                                             tmp_path: Path) -> None:
    _load_prices(tmp_path)
    _publish_a_previous_state(Path(env["SE_DUCKDB_PATH"]))
    command = str(Path(sys.executable).with_name("strategy-engine"))
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server_log = (tmp_path / "serve.err").open("w")
    server = subprocess.Popen([command, "serve", "--host", "127.0.0.1", "--port", str(port), "--target", "local"],
                              env=env, stdout=subprocess.DEVNULL, stderr=server_log)
    rebuild = None
    try:
        _wait_for(lambda: _get(base, "/livez")[0] == 200, 60, "the server")
        published = {path: _get(base, path) for path in READS}
        assert all(status == 200 for status, _ in published.values()), published
        assert published["/signals?date=2022-02-01"][1]["count"] == 3  # the previous state

        rebuild = subprocess.Popen(
            [command, "run", "--date", "2022-02-01", "--full-refresh", "--skip-validation", "--select", REBUILD],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        # The runner prints the dbt command just before dbt opens the warehouse for the build.
        for line in rebuild.stdout:
            if line.strip().startswith("dbt build"):
                break
        time.sleep(1.0)  # into the build: parse is done, the seeds and models are being written
        with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
            answers = list(pool.map(lambda i: (READS[i % len(READS)], _get(base, READS[i % len(READS)])),
                                    range(GETS)))
        assert rebuild.poll() is None, "the rebuild ended before the reads did: they did not overlap it"
        wrong = [(path, answer) for path, answer in answers if answer != published[path]]
        assert not wrong, f"{len(wrong)} of {GETS} reads differed from the published state, e.g. {wrong[:3]}"

        rest, _ = rebuild.communicate(timeout=180)
        assert rebuild.returncode == 0, rest[-2000:]
        # The rebuild published its own state at its end: the next read sees it.
        status, after = _get(base, "/signals?date=2022-02-01")
        assert status == 200 and not any(s["signal_id"].startswith("previous-") for s in after["signals"])
    finally:
        for process in (rebuild, server):
            if process is not None and process.poll() is None:
                process.kill()
                process.wait(timeout=30)
        server_log.close()
    lines = (tmp_path / "serve.err").read_text().splitlines()
    assert lines and all(json.loads(line) for line in lines)  # no plain-text tracebacks
