"""Alerts through apprise (Telegram, e-mail, Slack, JSON webhooks, ...), idempotent and never fatal.

Channels are apprise URLs in env SE_ALERT_URLS (whitespace separated; they carry secrets, so they
come only from the environment or Secret Manager and are never logged). Each channel is keyed by
its scheme plus a hash of its URL. An alert is identified by (date, kind, channel): once sent it is
not sent again (ops.alert_log). A channel that fails is retried with exponential backoff; after the
last attempt the failure is recorded and the run carries on; the next run reports it.
With no channel configured, alerts go to the console and to outbox/alerts-YYYY-MM-DD.jsonl.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from strategy_engine import ops
from strategy_engine.paths import PROJECT_DIR
from strategy_engine.structured_log import log_event, redact

logger = logging.getLogger("strategy_engine.alerts")

OUTBOX_CHANNEL = "outbox"
HTML_SCHEMES = {"tgram", "mailto", "mailtos"}
# Slack's own escaping (& < >) is applied by apprise's Slack plugin to TEXT bodies.
TEXT_SCHEMES = {"slack", "json", "form", "xml"}


@dataclass
class Alert:
    kind: str
    alert_date: date
    title: str
    lines: list[str]
    severity: str = "info"  # info | warning | failure
    html_body: str | None = None  # a ready-made, already escaped HTML body (the e-mailed report)
    attachments: list[Path] = field(default_factory=list)

    def as_text(self) -> str:
        return "\n".join(self.lines)

    def as_html(self) -> str:
        if self.html_body is not None:
            return self.html_body
        items = "".join(f"<li>{html.escape(line)}</li>" for line in self.lines)
        return f"<ul>{items}</ul>" if items else ""


@dataclass(frozen=True)
class Channel:
    url: str

    @property
    def scheme(self) -> str:
        return self.url.split("://", 1)[0].lower()

    @property
    def key(self) -> str:
        digest = hashlib.sha256(self.url.encode()).hexdigest()[:8]
        return f"{self.scheme}-{digest}"


@dataclass(frozen=True)
class Delivery:
    channel: str
    status: str  # sent | duplicate | failed | outbox
    attempts: int
    error: str | None = None


def configured_channels() -> list[Channel]:
    return [Channel(url) for url in os.environ.get("SE_ALERT_URLS", "").split() if "://" in url]


def render_for(channel: Channel, alert: Alert) -> tuple[str, str, str]:
    """(title, body, body_format) in the markup the channel expects, escaped for it."""
    if channel.scheme in HTML_SCHEMES:
        if channel.scheme == "tgram":
            # Telegram's HTML mode accepts only a few tags and no <ul>: one escaped line each.
            return alert.title, "\n".join(html.escape(line) for line in alert.lines), "html"
        return html.escape(alert.title), alert.as_html(), "html"
    return alert.title, alert.as_text(), "text"


def _attempt(channel: Channel, alert: Alert) -> str | None:
    """One delivery attempt; None on success, else the (redacted) error apprise reported."""
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(channel.url):
        return f"invalid apprise URL for channel {channel.key}"
    title, body, body_format = render_for(channel, alert)
    attach = apprise.AppriseAttachment([str(p) for p in alert.attachments]) if alert.attachments else None
    notify_type = {"failure": apprise.NotifyType.FAILURE, "warning": apprise.NotifyType.WARNING}.get(
        alert.severity, apprise.NotifyType.INFO
    )
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = notifier.notify(body=body, title=title, body_format=body_format, notify_type=notify_type,
                             attach=attach)
        log_text = captured.getvalue()
    if ok:
        return None
    return redact(log_text.strip().splitlines()[-1] if log_text.strip() else "delivery failed")


def outbox_dir() -> Path:
    raw = os.environ.get("SE_OUTBOX_DIR", "outbox")
    path = Path(raw)
    return path if path.is_absolute() else PROJECT_DIR / path


def _write_outbox(alert: Alert, run_id: str | None) -> Path:
    directory = outbox_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"alerts-{alert.alert_date.isoformat()}.jsonl"
    entry = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "run_id": run_id,
        "date": alert.alert_date.isoformat(),
        "kind": alert.kind,
        "severity": alert.severity,
        "title": alert.title,
        "lines": alert.lines,
    }
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")
    return path


def send_alert(alert: Alert, run_id: str | None = None, channels: list[Channel] | None = None,
               retries: int | None = None, backoff_seconds: float | None = None,
               sleep: Callable[[float], None] = time.sleep) -> list[Delivery]:
    """Deliver `alert` once per channel (idempotent per date, kind and channel); never raises."""
    channels = configured_channels() if channels is None else channels
    retries = int(os.environ.get("SE_ALERT_RETRIES", "3")) if retries is None else retries
    backoff = float(os.environ.get("SE_ALERT_BACKOFF_SECONDS", "2")) if backoff_seconds is None else backoff_seconds
    if not channels:
        if ops.alert_already_sent(alert.alert_date, alert.kind, OUTBOX_CHANNEL):
            return [Delivery(OUTBOX_CHANNEL, "duplicate", 0)]
        path = _write_outbox(alert, run_id)
        print(f"[alert:{alert.severity}] {alert.title}")
        for line in alert.lines:
            print(f"    {line}")
        ops.record_alert(alert.alert_date, alert.kind, OUTBOX_CHANNEL, "sent", 1, None, run_id)
        log_event(logger, "alert_written_to_outbox", kind=alert.kind, outbox=str(path))
        return [Delivery(OUTBOX_CHANNEL, "outbox", 1)]

    deliveries = []
    for channel in channels:
        if ops.alert_already_sent(alert.alert_date, alert.kind, channel.key):
            log_event(logger, "alert_already_sent", kind=alert.kind, channel=channel.key)
            deliveries.append(Delivery(channel.key, "duplicate", 0))
            continue
        error: str | None = None
        attempts = 0
        for attempt in range(1, max(retries, 1) + 1):
            attempts = attempt
            try:
                error = _attempt(channel, alert)
            except Exception as exc:  # noqa: BLE001 - a broken channel must never fail the run
                error = redact(f"{type(exc).__name__}: {exc}")
            if error is None:
                break
            if attempt < retries:
                sleep(backoff * 2 ** (attempt - 1))
        status = "sent" if error is None else "failed"
        ops.record_alert(alert.alert_date, alert.kind, channel.key, status, attempts, error, run_id)
        log_event(logger, "alert_" + status, level=logging.INFO if error is None else logging.WARNING,
                  kind=alert.kind, channel=channel.key, attempts=attempts, error=error)
        deliveries.append(Delivery(channel.key, status, attempts, error))
    return deliveries


def previous_failures_alert(run_id: str, today: date) -> Alert | None:
    """An alert listing deliveries that failed in earlier runs (each reported once)."""
    failures = ops.take_unreported_alert_failures(run_id)
    if not failures:
        return None
    lines = [
        f"{f.alert_date} {f.kind} via {f.channel}: {f.attempts} attempts, last error: {f.last_error}"
        for f in failures
    ]
    return Alert("alert_delivery_failures", today, f"{len(failures)} alert(s) could not be delivered earlier",
                 lines, severity="warning")
