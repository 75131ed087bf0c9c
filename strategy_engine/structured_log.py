"""Structured logs: one JSON object per line on stderr, carrying the run id; secrets redacted.

Secrets only ever come from the environment (or Secret Manager mounted as env); every value of an
env var whose name looks secret, and any credentials inside URLs, are replaced before a line is
written, so neither a message nor an exception text can leak them.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import threading
from datetime import UTC, datetime
from types import TracebackType

RUN_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("run_id", default=None)

_SECRET_NAME = re.compile(r"(TOKEN|SECRET|PASSWORD|PASSWD|KEY|ALERT_URLS|CREDENTIAL)", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"(?P<scheme>[a-z][a-z0-9+.-]*://)(?P<creds>[^/@\s]+)@", re.IGNORECASE)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.IGNORECASE)
REDACTED = "***"


def _secret_values() -> list[str]:
    values = []
    for name, value in os.environ.items():
        if _SECRET_NAME.search(name) and len(value) >= 6:
            values.append(value)
            values.extend(part.strip() for part in re.split(r"[,\s]+", value) if len(part.strip()) >= 6)
    return sorted(set(values), key=len, reverse=True)


def redact(text: str) -> str:
    for value in _secret_values():
        text = text.replace(value, REDACTED)
    text = _URL_CREDENTIALS.sub(lambda m: f"{m.group('scheme')}{REDACTED}@", text)
    return _BEARER.sub(lambda m: f"{m.group(1)}{REDACTED}", text)


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "run_id": RUN_ID.get(),
            "event": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact(json.dumps(entry, default=str))


class _CurrentStderrHandler(logging.StreamHandler):
    """Writes to whatever sys.stderr is at emit time (it is replaced under test runners)."""

    @property  # type: ignore[override]
    def stream(self):  # noqa: ANN201
        return sys.stderr

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


_CONFIGURED = False


def configure_logging(level: str | None = None) -> None:
    """Route the `strategy_engine` loggers to JSON lines on stderr (idempotent)."""
    global _CONFIGURED
    logger = logging.getLogger("strategy_engine")
    logger.setLevel(level or os.environ.get("SE_LOG_LEVEL", "INFO"))
    if _CONFIGURED:
        return
    handler = _CurrentStderrHandler()
    handler.setFormatter(JsonLineFormatter())
    logger.addHandler(handler)
    logger.propagate = False
    _CONFIGURED = True


def log_event(logger: logging.Logger, event: str, level: int = logging.INFO, **fields: object) -> None:
    logger.log(level, event, extra={"fields": fields})


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def log_exception(logger: logging.Logger, event: str, exc_info: ExcInfo | tuple[None, None, None] | None = None,
                  **fields: object) -> None:
    """One JSON line at level error: `error` is the one-line reason, `exception` the traceback.
    Without exc_info: the exception being handled."""
    info = exc_info if exc_info is not None else sys.exc_info()
    if info[1] is not None:
        fields.setdefault("error", f"{type(info[1]).__name__}: {info[1]}")
    logger.error(event, exc_info=info if info[0] is not None else None, extra={"fields": fields})


def install_exception_hooks() -> None:
    """Unhandled exceptions, in the main thread or any other, become one JSON line on stderr
    (with the traceback in a field) instead of Python's plain-text traceback."""
    configure_logging()
    logger = logging.getLogger("strategy_engine.unhandled")

    def main_thread_hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        log_exception(logger, "unhandled_exception", exc_info=(kind, value, tb))

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        info = (args.exc_type, args.exc_value, args.exc_traceback)
        log_exception(logger, "unhandled_thread_exception", exc_info=info,  # type: ignore[arg-type]
                      thread=args.thread.name if args.thread else None)

    sys.excepthook = main_thread_hook
    threading.excepthook = thread_hook
