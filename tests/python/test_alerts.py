"""Alerts against real local endpoints: a JSON webhook over HTTP and e-mail over SMTP (aiosmtpd)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import date
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from strategy_engine import alerts, ops
from strategy_engine.alerts import Alert, Channel

NASTY = 'M&M <script>alert("x")</script> 5% "quoted"'


class Webhook:
    """A local stand-in for a webhook endpoint; answers 500 to the first `failures` requests."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.received: list[dict] = []
        self.requests = 0
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                hook.requests += 1
                if hook.requests <= hook.failures:
                    self.send_response(500)
                    self.end_headers()
                    return
                hook.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def ops_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "runner_ops.duckdb"
    monkeypatch.setenv("SE_OPS_DUCKDB_PATH", str(path))
    monkeypatch.setenv("SE_OUTBOX_DIR", str(tmp_path / "outbox"))
    monkeypatch.delenv("SE_ALERT_URLS", raising=False)
    return path


@pytest.fixture()
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


def _digest(day: date = date(2022, 2, 1)) -> Alert:
    return Alert("signal_digest", day, "Signals for 2022-02-01", [f"ENTRY_LONG {NASTY}", "EXIT_LONG TCS"])


def test_webhook_receives_content_escaped_once(ops_db: Path, webhook: Webhook) -> None:
    deliveries = alerts.send_alert(_digest(), run_id="r1", channels=[Channel(webhook.url)], backoff_seconds=0)
    assert [d.status for d in deliveries] == ["sent"]
    assert len(webhook.received) == 1
    payload = webhook.received[0]
    assert payload["title"] == "Signals for 2022-02-01"
    # JSON carries the text verbatim: no HTML entities leaked into a JSON channel.
    assert f"ENTRY_LONG {NASTY}" in payload["message"]
    assert "&amp;" not in payload["message"]


def test_same_alert_is_not_sent_twice(ops_db: Path, webhook: Webhook) -> None:
    channel = Channel(webhook.url)
    alerts.send_alert(_digest(), run_id="r1", channels=[channel], backoff_seconds=0)
    again = alerts.send_alert(_digest(), run_id="r2", channels=[channel], backoff_seconds=0)
    assert [d.status for d in again] == ["duplicate"]
    assert len(webhook.received) == 1
    other_day = alerts.send_alert(_digest(date(2022, 2, 2)), run_id="r2", channels=[channel], backoff_seconds=0)
    assert [d.status for d in other_day] == ["sent"]
    assert len(webhook.received) == 2


def test_retries_with_backoff_then_succeeds(ops_db: Path) -> None:
    hook = Webhook(failures=2)
    waits: list[float] = []
    try:
        deliveries = alerts.send_alert(_digest(), channels=[Channel(hook.url)], retries=3,
                                       backoff_seconds=0.5, sleep=waits.append)
    finally:
        hook.close()
    assert deliveries[0].status == "sent" and deliveries[0].attempts == 3
    assert waits == [0.5, 1.0]
    assert len(hook.received) == 1


def test_down_channel_is_recorded_and_reported_next_run(ops_db: Path) -> None:
    dead = Channel("json://127.0.0.1:9/unreachable")  # port 9 (discard): nothing listens
    deliveries = alerts.send_alert(_digest(), run_id="r1", channels=[dead], retries=2, backoff_seconds=0)
    assert deliveries[0].status == "failed" and deliveries[0].attempts == 2
    with ops.ops_connection() as con:
        status, attempts = con.execute("select status, attempts from ops.alert_log").fetchone()
    assert (status, attempts) == ("failed", 2)
    report = alerts.previous_failures_alert("r2", date(2022, 2, 2))
    assert report is not None and "signal_digest" in report.lines[0] and dead.key in report.lines[0]
    assert alerts.previous_failures_alert("r3", date(2022, 2, 3)) is None  # reported once


def test_no_channel_goes_to_console_and_outbox(ops_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    deliveries = alerts.send_alert(_digest(), run_id="r1")
    assert [d.status for d in deliveries] == ["outbox"]
    assert "Signals for 2022-02-01" in capsys.readouterr().out
    lines = (tmp_path / "outbox" / "alerts-2022-02-01.jsonl").read_text().splitlines()
    assert json.loads(lines[0])["lines"][0] == f"ENTRY_LONG {NASTY}"
    assert alerts.send_alert(_digest(), run_id="r2")[0].status == "duplicate"


def test_html_channels_escape_and_text_channels_do_not() -> None:
    alert = _digest()
    _, body, fmt = alerts.render_for(Channel("tgram://123:abc/456"), alert)
    assert fmt == "html" and "&lt;script&gt;" in body and "<script>" not in body
    _, body, fmt = alerts.render_for(Channel("mailto://user:pw@example.com"), alert)
    assert fmt == "html" and "M&amp;M" in body and "<li>" in body
    _, body, fmt = alerts.render_for(Channel("slack://a/b/c"), alert)
    assert fmt == "text" and NASTY in body


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_email_over_local_smtp(ops_db: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[bytes] = []

    class Collect(Message):
        def handle_message(self, message) -> None:  # noqa: ANN001 - aiosmtpd's API
            received.append(message.as_bytes())

    port = _free_port()
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        url = f"mailto://127.0.0.1:{port}?from=engine@example.com&to=desk@example.com&mode=insecure"
        deliveries = alerts.send_alert(_digest(), channels=[Channel(url)], retries=1, backoff_seconds=0)
    finally:
        controller.stop()
    assert deliveries[0].status == "sent", deliveries[0].error
    assert len(received) == 1
    mail = message_from_bytes(received[0])
    assert "Signals for 2022-02-01" in str(mail["Subject"])
    parts = [p.get_payload(decode=True).decode() for p in mail.walk() if p.get_content_type() == "text/html"]
    assert parts and "M&amp;M &lt;script&gt;" in parts[0]


class _Captured:
    status_code = 200
    content = b"ok"
    text = "ok"
    headers: dict = {}


def test_slack_payload_is_escaped_for_slack(ops_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack's mrkdwn needs & < > as entities; apprise's Slack plugin does that for text bodies.
    Captured at the HTTP call, since hooks.slack.com is not reachable from a test."""
    import apprise.plugins.slack as slack_plugin

    sent: list[dict] = []

    def fake_request(method: str, url: str, data: str | bytes | None = None, **kwargs: object) -> _Captured:
        sent.append(json.loads(data))
        return _Captured()

    monkeypatch.setattr(slack_plugin.requests, "request", fake_request)
    channel = Channel("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ")
    deliveries = alerts.send_alert(_digest(), channels=[channel], retries=1, backoff_seconds=0)
    assert deliveries[0].status == "sent", deliveries[0].error
    text = json.dumps(sent[0])
    assert "M&amp;M &lt;script&gt;" in text and "<script>" not in text


def test_telegram_payload_is_html_escaped(ops_db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Telegram's HTML parse mode: text is entity-escaped once, captured at the HTTP call."""
    import apprise.plugins.telegram as telegram_plugin

    sent: list[dict] = []

    class Ok(_Captured):
        content = b'{"ok": true, "result": {}}'

    def fake_post(url: str, data: str | bytes | None = None, **kwargs: object) -> Ok:
        sent.append(json.loads(data) if isinstance(data, str | bytes) else dict(data or {}))
        return Ok()

    monkeypatch.setattr(telegram_plugin.requests, "post", fake_post)
    channel = Channel("tgram://123456789:AABBCCDDEEFFaabbccddeeff-112233445/987654321")
    deliveries = alerts.send_alert(_digest(), channels=[channel], retries=1, backoff_seconds=0)
    assert deliveries[0].status == "sent", deliveries[0].error
    payload = sent[-1]
    assert payload.get("parse_mode", "").lower() == "html"
    assert "M&amp;M &lt;script&gt;" in payload["text"] and "&amp;amp;" not in payload["text"]
