{#-
    A filter on the partitioning date column that keeps every row, for the few readers that need a
    table's whole history (performance and walk_forward over equity_curve, dbt's data tests):

        select * from {{ ref('equity_curve') }} where {{ every_partition('trade_date') }}

    Tables built with daily_table_config(require_partition_filter=true) make BigQuery reject any
    query without a filter on that column that can prune partitions
    (https://cloud.google.com/bigquery/docs/querying-partitioned-tables); a range predicate
    qualifies, so a reader that really wants all partitions says so explicitly, and an analyst's
    `select * from equity_curve` without a date range fails before it bills a full scan.
    Rows with a NULL date are excluded: the column is not null in every table that uses this.
    On DuckDB the predicate is true for every non-NULL date (no partitions there).
-#}
{% macro every_partition(date_column='trade_date') -%}
    {{ date_column }} >= date '1900-01-01'
{%- endmacro %}
