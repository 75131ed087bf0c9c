"""`crucible serve` with BigQuery's DELETE statement, run by the emulator's own venv.

crucible-emulator 0.1.0a2 answers `delete from t where c` with "Not supported by Crucible: DELETE
statement", but it runs MERGE with `when matched then delete`. The incremental models' pre_hook
(macros/warehouse/delete_replayed_groups.sql) is a plain DELETE, which is valid BigQuery
(https://cloud.google.com/bigquery/docs/reference/standard-sql/dml-syntax#delete_statement), so
this launcher hands the emulator the equivalent statement

    merge t using (select 1 as crucible_delete) as crucible_delete on c when matched then delete

(one source row: every target row matching c matches it exactly once and is deleted, the others
are untouched). Nothing else of the emulator is changed.

Usage: bigquery_emulator_server.py serve --dialect bigquery --host 127.0.0.1 --port PORT
"""

from __future__ import annotations

import sys
from typing import Any

import sqlglot
from crucible import cli
from crucible.dialects.bigquery import statements
from crucible.engine import CrucibleUnsupportedError
from sqlglot import exp

_plan = statements._plan


def delete_as_merge(delete: exp.Delete) -> exp.Merge:
    unsupported = sorted(k for k, v in delete.args.items() if v and k not in ("this", "where"))
    if unsupported:
        raise CrucibleUnsupportedError(f"DELETE with {', '.join(unsupported)}")
    where = delete.args.get("where")
    condition = where.this.sql("bigquery") if where is not None else "true"
    merge = sqlglot.parse_one(
        f"merge {delete.this.sql('bigquery')} using (select 1 as crucible_delete) as crucible_delete"
        f" on {condition} when matched then delete",
        read="bigquery",
    )
    assert isinstance(merge, exp.Merge)
    return merge


def _plan_with_delete(tree: exp.Expr, ctx: Any) -> Any:
    return _plan(delete_as_merge(tree) if isinstance(tree, exp.Delete) else tree, ctx)


statements._plan = _plan_with_delete

if __name__ == "__main__":
    sys.argv[0] = "crucible"
    sys.exit(cli.main())
