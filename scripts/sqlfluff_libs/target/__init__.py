"""Stand-in for dbt's `target` context so sqlfluff can render models that branch on the adapter."""

type = "duckdb"  # noqa: A001 - mirrors target.type
name = "local"
