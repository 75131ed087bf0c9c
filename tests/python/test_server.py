"""The HTTP service over a real socket on 127.0.0.1: health states, auth on POST /run, signals."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from strategy_engine import ops
from strategy_engine.published import publish
from strategy_engine.server import build_server

TODAY = date(2022, 2, 1)
TOKEN = "test-run-token-123456"


@pytest.fixture()
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "warehouse.duckdb"
    monkeypatch.setenv("SE_DUCKDB_PATH", str(path))
    monkeypatch.delenv("SE_OPS_DUCKDB_PATH", raising=False)
    monkeypatch.delenv("SE_PUBLISHED_DUCKDB_PATH", raising=False)
    monkeypatch.setenv("SE_RUN_TOKEN", TOKEN)
    monkeypatch.delenv("SE_OIDC_AUDIENCE", raising=False)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema intermediate; create schema strategy_data")
        con.execute("create table intermediate.int_market_data_adjusted as "
                    "select 'INFY' as symbol, date '2022-02-01' as trade_date")
        con.execute(
            "create table strategy_data.signals as select * from (values "
            "('s1', 'sma_cross', 'p1', 'INFY', date '2022-02-01', 'ENTRY_LONG', null, 101.5, 0.7), "
            "('s2', 'sma_cross', 'p1', 'TCS', date '2022-01-31', 'EXIT_LONG', 'signal', 3500.0, 1.0)) "
            "as t(signal_id, strategy_id, param_set_id, symbol, signal_date, signal_type, exit_reason, "
            "close_price, strength)"
        )
    publish()
    return path


class Service:
    def __init__(self, runs: list[tuple[date, bool]]) -> None:
        def fake_job(day: date, force: bool) -> int:
            runs.append((day, force))
            return 0

        self.server = build_server("127.0.0.1", 0, "local", today=lambda: TODAY, run_job=fake_job,
                                   report_job=lambda day: runs.append((day, "report")) or 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def request(self, method: str, path: str, token: str | None = None, body: dict | None = None) -> tuple[int, dict]:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def service(warehouse: Path) -> Iterator[tuple[Service, list]]:
    runs: list[tuple[date, bool]] = []
    svc = Service(runs)
    yield svc, runs
    svc.close()


def _record(status: str, day: date = TODAY) -> None:
    run = ops.RunRecord(ops.new_run_id(), "run", day, "local", status=status, finished_at=datetime.now())
    ops.record_run(run)


def test_health_is_200_after_a_successful_run_with_fresh_data(service: tuple[Service, list]) -> None:
    svc, _ = service
    _record("success")
    status, body = svc.request("GET", "/health")
    assert status == 200, body
    assert body["status"] == "ok" and body["latest_trade_date"] == "2022-02-01"
    assert body["last_successful_run"]["date"] == "2022-02-01" and body["version"]


def test_livez_is_always_200(service: tuple[Service, list]) -> None:
    svc, _ = service
    _record("failed")
    assert svc.request("GET", "/livez")[0] == 200


def test_health_is_503_when_the_last_run_failed(service: tuple[Service, list]) -> None:
    svc, _ = service
    _record("success")
    _record("failed")
    status, body = svc.request("GET", "/health")
    assert status == 503 and any("failed" in p for p in body["problems"])
    assert body["last_successful_run"] is not None


def test_health_is_503_when_data_is_stale(warehouse: Path) -> None:
    _record("success")
    # A week later: 4 sessions passed without new prices.
    stale = build_server("127.0.0.1", 0, "local", today=lambda: date(2022, 2, 8), run_job=lambda d, f: 0)
    threading.Thread(target=stale.serve_forever, daemon=True).start()
    try:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"http://127.0.0.1:{stale.server_address[1]}/health", timeout=10)
        body = json.loads(error.value.read())
    finally:
        stale.shutdown()
        stale.server_close()
    assert error.value.code == 503 and "stale" in body["problems"][0]


def test_post_run_while_another_process_runs_is_a_409(warehouse: Path) -> None:
    from strategy_engine.run_lock import EXIT_BUSY

    busy = build_server("127.0.0.1", 0, "local", today=lambda: TODAY, run_job=lambda d, f: EXIT_BUSY)
    threading.Thread(target=busy.serve_forever, daemon=True).start()
    try:
        request = urllib.request.Request(f"http://127.0.0.1:{busy.server_address[1]}/run", data=b"{}",
                                         headers={"Authorization": f"Bearer {TOKEN}"}, method="POST")
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=30)
        body = json.loads(error.value.read())
    finally:
        busy.shutdown()
        busy.server_close()
    assert error.value.code == 409 and body["exit_code"] == EXIT_BUSY and "did not start" in body["error"]


def test_post_run_requires_a_token(service: tuple[Service, list]) -> None:
    svc, runs = service
    assert svc.request("POST", "/run", body={})[0] == 401
    assert svc.request("POST", "/run", token="wrong-token", body={})[0] == 401
    status, body = svc.request("POST", "/run", token=TOKEN, body={"date": "2022-01-31", "force": True})
    assert status == 200 and body["exit_code"] == 0
    assert svc.request("POST", "/report", body={})[0] == 401
    assert svc.request("POST", "/report", token=TOKEN, body={})[0] == 200
    assert runs == [(date(2022, 1, 31), True), (TODAY, "report")]


def test_signals_endpoint_binds_the_date(service: tuple[Service, list]) -> None:
    svc, _ = service
    status, body = svc.request("GET", "/signals?date=2022-02-01")
    assert status == 200 and body["count"] == 1 and body["signals"][0]["symbol"] == "INFY"
    status, body = svc.request("GET", "/signals?date=2022-02-01'%20or%20'1'='1")
    assert status == 400
    status, body = svc.request("GET", "/signals")  # defaults to today
    assert status == 200 and body["date"] == "2022-02-01"


def test_missing_mart_is_a_clear_503(service: tuple[Service, list]) -> None:
    svc, _ = service
    status, body = svc.request("GET", "/performance?strategy=sma_cross")
    assert status == 503 and "strategy_data.performance does not exist" in body["error"]


def test_google_oidc_token_is_verified_for_audience_and_email(warehouse: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    from google.oauth2 import id_token

    seen: list[str] = []

    def fake_verify(token: str, request: object, audience: str | None = None) -> dict:
        seen.append(audience or "")
        if token == "forged":
            raise ValueError("Could not verify token signature.")
        email = "scheduler@p.iam.gserviceaccount.com" if token == "good" else "someone@example.com"
        return {"email": email, "email_verified": True, "aud": audience}

    monkeypatch.setattr(id_token, "verify_oauth2_token", fake_verify)
    monkeypatch.delenv("SE_RUN_TOKEN")
    monkeypatch.setenv("SE_OIDC_AUDIENCE", "https://engine.example.run.app")
    monkeypatch.setenv("SE_OIDC_ALLOWED_EMAILS", "scheduler@p.iam.gserviceaccount.com")
    runs: list = []
    svc = Service(runs)
    try:
        assert svc.request("POST", "/run", token="forged", body={})[0] == 401
        assert svc.request("POST", "/run", token="other", body={})[0] == 401
        assert svc.request("POST", "/run", token="good", body={})[0] == 200
    finally:
        svc.close()
    assert seen == ["https://engine.example.run.app"] * 3 and len(runs) == 1


def test_reads_before_any_snapshot_are_a_clear_json_503(service: tuple[Service, list], warehouse: Path) -> None:
    from strategy_engine.paths import published_path

    svc, _ = service
    published_path().unlink()
    for path in ["/signals?date=2022-02-01", "/performance", "/health"]:
        status, body = svc.request("GET", path)
        assert status == 503, (path, body)
        assert "no published data yet; run strategy-engine run" in (body.get("error") or body["problems"]), body


def test_health_answers_while_another_process_holds_the_warehouse(service: tuple[Service, list],
                                                                  warehouse: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A run elsewhere holds the warehouse for its build: /health reads ops.runs from its own file
    and the latest trade date from the published snapshot. Should the ops store be held too (a
    stuck process), the snapshot's publishing run stands in for the last successful run."""
    import subprocess
    import sys

    svc, _ = service
    monkeypatch.setattr(ops, "LOCKED_FILE_RETRY_SECONDS", 0.5)
    hold = "import duckdb, sys, time; c = [duckdb.connect(p) for p in sys.argv[1:]]; print('held', flush=True); " \
           "time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", hold, str(warehouse)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        status, body = svc.request("GET", "/health")
        signals_status, _ = svc.request("GET", "/signals?date=2022-02-01")
    finally:
        holder.kill()
        holder.wait(timeout=30)
    assert status == 200 and body["latest_trade_date"] == "2022-02-01", body
    assert "ops_store" not in body  # ops.runs has its own file now (this fixture recorded no run)
    assert signals_status == 200

    both = subprocess.Popen([sys.executable, "-c", hold, str(warehouse), str(ops.ops_path())],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert both.stdout.readline().strip() == "held"
        status, body = svc.request("GET", "/health")
    finally:
        both.kill()
        both.wait(timeout=30)
    assert status == 200 and "another process holds it" in body["ops_store"]
    assert body["last_successful_run"]["finished_at"]  # the run that published the snapshot


def _raw_post(base: str, content_length: str) -> bytes:
    """A POST /run with a valid token and the given Content-Length header, no body; the socket
    stays open, so a server waiting for a body times the read out instead of answering."""
    import socket
    from urllib.parse import urlparse

    address = urlparse(base)
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(f"POST /run HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n"
                     f"Content-Length: {content_length}\r\n\r\n".encode())
        try:
            return sock.recv(4096)
        except TimeoutError:
            return b"no answer within 10 s"


def test_a_bad_or_huge_content_length_is_refused_at_once(service: tuple[Service, list]) -> None:
    svc, runs = service
    for value, status in [("-1", b"400"), ("abc", b"400"), ("1e3", b"400"), (str(10**9), b"413")]:
        answer = _raw_post(svc.base, value)
        assert answer.split(b"\r\n")[0].split(b" ")[1] == status, (value, answer[:200])
    assert runs == []


def test_an_unexpected_error_is_a_json_500_and_one_json_log_line(warehouse: Path,
                                                                  capsys: pytest.CaptureFixture) -> None:
    from strategy_engine.structured_log import configure_logging

    configure_logging()

    def broken_job(day: date, force: bool) -> int:
        raise RuntimeError("the job broke")

    server = build_server("127.0.0.1", 0, "local", today=lambda: TODAY, run_job=broken_job)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    request = urllib.request.Request(f"http://127.0.0.1:{server.server_address[1]}/run", data=b"{}", method="POST")
    request.add_header("Authorization", f"Bearer {TOKEN}")
    try:
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(request, timeout=10)
        body = json.loads(error.value.read())
        # socketserver's last resort for an error outside the handler's own catch
        try:
            raise OSError("the socket broke")
        except OSError:
            server.handle_error(None, ("127.0.0.1", 1))
    finally:
        server.shutdown()
        server.server_close()
    assert error.value.code == 500 and body == {"error": "internal error on /run (logged)"}
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.strip()]
    failed = next(line for line in lines if line["event"] == "request_failed")
    assert failed["error"] == "RuntimeError: the job broke" and "Traceback" in failed["exception"]
    last_resort = next(line for line in lines if line["event"] == "request_thread_failed")
    assert "OSError: the socket broke" in last_resort["exception"]


def test_reads_answer_from_the_snapshot_while_post_run_writes_in_this_process(warehouse: Path) -> None:
    """POST /run builds in the server's own process; dbt holds the warehouse with a read-write
    DuckDB connection meanwhile (simulated here), which a read-only connect to it refuses."""
    holding, release = threading.Event(), threading.Event()

    def writing_job(day: date, force: bool) -> int:
        with duckdb.connect(str(warehouse)) as con:
            con.execute("update strategy_data.signals set symbol = 'HALF-WRITTEN'")
            holding.set()
            release.wait(30)
        return 0

    server = build_server("127.0.0.1", 0, "local", today=lambda: TODAY, run_job=writing_job)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    run = urllib.request.Request(base + "/run", data=b"{}", method="POST")
    run.add_header("Authorization", f"Bearer {TOKEN}")
    poster = threading.Thread(target=lambda: urllib.request.urlopen(run, timeout=30).read(), daemon=True)
    try:
        poster.start()
        assert holding.wait(10)
        answers = []
        for _ in range(20):
            with urllib.request.urlopen(base + "/signals?date=2022-02-01", timeout=10) as response:
                answers.append((response.status, json.loads(response.read())["signals"][0]["symbol"]))
    finally:
        release.set()
        poster.join(30)
        server.shutdown()
        server.server_close()
    assert answers == [(200, "INFY")] * 20
