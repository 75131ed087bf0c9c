"""Stand-in for dbt's `run_started_at` (a UTC datetime) so sqlfluff's jinja templater can render
macros that format it (run_stamp)."""

from datetime import UTC, datetime

_STARTED = datetime(2026, 1, 1, tzinfo=UTC)


def strftime(fmt: str) -> str:
    return _STARTED.strftime(fmt)
