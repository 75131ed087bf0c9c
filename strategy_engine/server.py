"""The HTTP service for Cloud Run (stdlib http.server; one run at a time, health answered meanwhile).

GET /health        200 with the last successful run, data freshness and version; 503 when the last
                   run failed or the data is stale.
POST /run          runs the daily job (body or query: date, force); bearer token from env
                   SE_RUN_TOKEN, or a Google-signed OIDC token whose audience is SE_OIDC_AUDIENCE
                   (and, if set, whose e-mail is in SE_OIDC_ALLOWED_EMAILS). Anything else: 401.
GET /livez         200 while the process serves (for container probes).
POST /report       writes the day's report and e-mails it (same authorization as /run).
GET /signals       ?date=YYYY-MM-DD, the signals of that day.
GET /performance   ?strategy=ID, the performance rows of a strategy (all without the parameter).
Read endpoints only bind validated parameters into fixed queries. On DuckDB they (and /health's
data freshness) read the last published snapshot (strategy_engine/published.py), so a run writing
the warehouse, in this process or another, never makes them fail; 503 before the first snapshot.
POST bodies are bounded (MAX_BODY_BYTES); a failed request is one JSON log line with its traceback.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import sys
import threading
from collections.abc import Callable
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import duckdb

from strategy_engine import __version__, marts, ops
from strategy_engine.calendar import is_trading_session
from strategy_engine.marts import MartReader, MissingMart
from strategy_engine.run_lock import EXIT_BUSY
from strategy_engine.structured_log import configure_logging, install_exception_hooks, log_event, log_exception

logger = logging.getLogger("strategy_engine.server")
# POST bodies are a date and a flag; anything larger is refused before it is read.
MAX_BODY_BYTES = 64 * 1024
# Seconds a client may stall while sending its request (a stalled body otherwise holds a thread).
REQUEST_TIMEOUT_SECONDS = 30


def sessions_between(first: date, last: date) -> int:
    """Trading sessions strictly after `first` up to and including `last`."""
    count, day = 0, first + timedelta(days=1)
    while day <= last:
        count += is_trading_session(day)
        day += timedelta(days=1)
    return count


def health_status(target: str, today: date) -> tuple[int, dict[str, Any]]:
    max_missed = int(os.environ.get("SE_STALE_AFTER_SESSIONS", "1"))
    body: dict[str, Any] = {"version": __version__, "target": target, "today": today.isoformat()}
    problems = []
    try:
        last_ok = ops.last_run("run", "success")
        last_any = ops.last_run("run")
    except duckdb.Error as busy:
        # Another process holds the ops store for longer than ops.LOCKED_FILE_RETRY_SECONDS (a stuck one):
        # report what the published snapshot knows instead of failing the probe.
        last_ok = last_any = None
        body["ops_store"] = f"unreadable while another process holds it: {str(busy).splitlines()[0][:200]}"
    body["last_successful_run"] = None if last_ok is None else {
        "run_id": last_ok.run_id, "date": last_ok.run_date.isoformat(),
        "finished_at": last_ok.finished_at.isoformat() if last_ok.finished_at else None,
    }
    body["last_run_status"] = None if last_any is None else last_any.status
    if last_any is not None and last_any.status == "failed":
        problems.append(f"last run {last_any.run_id} failed")
    try:
        with MartReader(target, published=True) as reader:
            latest = marts.latest_trade_date(reader)
            if "ops_store" in body and reader.published:
                # The run that published the snapshot succeeded; it stands in for ops.runs.
                info = marts.publication(reader)
                body["last_successful_run"] = {"run_id": info["run_id"], "date": info["run_date"],
                                               "finished_at": info["published_at"]}
    except MissingMart as missing:
        latest = None
        problems.append(str(missing))
    body["latest_trade_date"] = latest.isoformat() if latest else None
    if latest is not None:
        missed = sessions_between(latest, today)
        body["sessions_behind"] = missed
        if missed > max_missed:
            problems.append(f"data stale: latest trade date {latest} is {missed} sessions behind {today}")
    body["status"] = "ok" if not problems else "unhealthy"
    body["problems"] = problems
    return (200 if not problems else 503), body


def _json_default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class Authorizer:
    def __init__(self) -> None:
        self.token = os.environ.get("SE_RUN_TOKEN", "")
        self.audience = os.environ.get("SE_OIDC_AUDIENCE", "")
        self.allowed_emails = {e for e in os.environ.get("SE_OIDC_ALLOWED_EMAILS", "").split(",") if e}

    def allows(self, header: str | None) -> bool:
        if not header or not header.startswith("Bearer "):
            return False
        presented = header.removeprefix("Bearer ").strip()
        if self.token and hmac.compare_digest(presented.encode(), self.token.encode()):
            return True
        if self.audience:
            return self._google_oidc(presented)
        return False

    def _google_oidc(self, presented: str) -> bool:
        try:
            from google.auth.transport.requests import Request
            from google.oauth2 import id_token

            claims = id_token.verify_oauth2_token(presented, Request(), audience=self.audience)
        except Exception:  # noqa: BLE001 - any verification problem is a rejection
            return False
        return not self.allowed_emails or (claims.get("email_verified") and claims.get("email") in self.allowed_emails)


def make_handler(target: str, today: Callable[[], date], run_job: Callable[[date, bool], int],
                 report_job: Callable[[date], int]) -> type:
    authorizer = Authorizer()
    run_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        server_version = f"strategy-engine/{__version__}"
        timeout = REQUEST_TIMEOUT_SECONDS

        def _send(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body, default=_json_default).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def _query(self) -> dict[str, str]:
            return {k: v[-1] for k, v in parse_qs(urlparse(self.path).query).items()}

        def _failed(self, route: str) -> None:
            """An unexpected error: one JSON log line with the traceback, a JSON 500 to the client."""
            log_exception(logger, "request_failed", route=route, request=self.requestline)
            with contextlib.suppress(OSError):  # the client may be gone
                self._send(500, {"error": f"internal error on {route} (logged)"})

        def do_GET(self) -> None:  # noqa: N802 - http.server's naming
            route = urlparse(self.path).path
            try:
                self._get(route)
            except Exception:  # noqa: BLE001 - answered and logged, never a dropped connection
                self._failed(route)

        def _get(self, route: str) -> None:
            try:
                if route == "/livez":
                    # Process liveness for Cloud Run probes: stale data must not restart the service.
                    self._send(200, {"status": "alive", "version": __version__})
                elif route == "/health" and run_lock.locked():
                    # The warehouse file is busy with dbt: report liveness without touching it.
                    self._send(200, {"status": "running", "version": __version__, "target": target})
                elif route == "/health":
                    self._send(*health_status(target, today()))
                elif route == "/signals":
                    self._signals()
                elif route == "/performance":
                    strategy = self._query().get("strategy")
                    with MartReader(target, published=True) as reader:
                        rows = marts.performance_for(reader, strategy)
                    self._send(200, {"strategy": strategy, "rows": rows.dicts()})
                else:
                    self._send(404, {"error": f"no route {route}"})
            except MissingMart as missing:
                self._send(503, {"error": str(missing)})

        def _signals(self) -> None:
            raw = self._query().get("date")
            try:
                day = date.fromisoformat(raw) if raw else today()
            except ValueError:
                self._send(400, {"error": "date must be YYYY-MM-DD"})
                return
            with MartReader(target, published=True) as reader:
                rows = marts.signals_on(reader, day)
            self._send(200, {"date": day.isoformat(), "count": len(rows.rows), "signals": rows.dicts()})

        def _body_length(self) -> int | None:
            """Content-Length when it is a sane size; None after answering 400 or 413."""
            raw = (self.headers.get("Content-Length") or "0").strip()
            if not (raw.isascii() and raw.isdigit()):  # negative, non-numeric: rfile.read(-1) would wait for EOF
                self._send(400, {"error": "Content-Length must be a non-negative integer"})
                return None
            if int(raw) > MAX_BODY_BYTES:
                self._send(413, {"error": f"request body over {MAX_BODY_BYTES} bytes"})
                return None
            return int(raw)

        def do_POST(self) -> None:  # noqa: N802
            route = urlparse(self.path).path
            try:
                self._post(route)
            except Exception:  # noqa: BLE001 - answered and logged, never a dropped connection
                self._failed(route)

        def _post(self, route: str) -> None:
            if route not in {"/run", "/report"}:
                self._send(404, {"error": f"no route {route}"})
                return
            if not authorizer.allows(self.headers.get("Authorization")):
                log_event(logger, "post_rejected", level=logging.WARNING, route=route, client=self.client_address[0])
                self._send(401, {"error": "a valid bearer token is required"})
                return
            length = self._body_length()
            if length is None:
                return
            try:
                body = json.loads(self.rfile.read(length) or b"{}") if length else {}
                params = {**self._query(), **body}
                day = date.fromisoformat(params["date"]) if params.get("date") else today()
            except (ValueError, TypeError):
                self._send(400, {"error": "body must be JSON with an optional date YYYY-MM-DD"})
                return
            force = str(params.get("force", "")).lower() in {"1", "true", "yes"}
            if not run_lock.acquire(blocking=False):
                self._send(409, {"error": "a job is already in progress"})
                return
            try:
                code = run_job(day, force) if route == "/run" else report_job(day)
            finally:
                run_lock.release()
            if code == EXIT_BUSY:  # another process's run holds the warehouse; recorded and alerted
                self._send(409, {"error": "another run holds the warehouse; this one did not start",
                                 "route": route, "date": day.isoformat(), "exit_code": code})
                return
            self._send(200 if code == 0 else 500, {"route": route, "date": day.isoformat(), "exit_code": code})

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            log_event(logger, "http_request", request=self.requestline, status=args[1] if len(args) > 1 else None)

    return Handler


def default_run_job(target: str) -> Callable[[date, bool], int]:
    def run_job(day: date, force: bool) -> int:
        from strategy_engine.daily_run import RunOptions, run_daily

        return run_daily(RunOptions(day=day, target=target, force=force))

    return run_job


def default_report_job(target: str) -> Callable[[date], int]:
    def report_job(day: date) -> int:
        from strategy_engine.reports import write_report

        return write_report(day, target, send=True)

    return report_job


class JsonLoggingServer(ThreadingHTTPServer):
    """socketserver prints a plain-text traceback for an error a handler did not catch; log it
    as one JSON line instead."""

    def handle_error(self, request: object, client_address: Any) -> None:
        log_exception(logger, "request_thread_failed", exc_info=sys.exc_info(),
                      client=client_address[0] if client_address else None)


def build_server(host: str, port: int, target: str, today: Callable[[], date] | None = None,
                 run_job: Callable[[date, bool], int] | None = None,
                 report_job: Callable[[date], int] | None = None) -> ThreadingHTTPServer:
    from strategy_engine.daily_run import exchange_today

    handler = make_handler(target, today or exchange_today, run_job or default_run_job(target),
                           report_job or default_report_job(target))
    return JsonLoggingServer((host, port), handler)


def serve(host: str, port: int, target: str) -> int:
    configure_logging()
    install_exception_hooks()
    server = build_server(host, port, target)
    log_event(logger, "serving", host=host, port=server.server_address[1], target=target, version=__version__)
    print(f"serving on http://{host}:{server.server_address[1]} (target {target})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
