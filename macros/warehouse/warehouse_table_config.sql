{#-
    The one place that decides how tables are laid out and updated on each warehouse. Models call

        {{ config(materialized='table', **daily_table_config()) }}            -- table, partitioned
        {{ config(materialized='incremental',
                  **daily_table_config(cluster_by=['strategy_id', 'symbol'],
                                       unique_key=['strategy_id', 'symbol', 'trade_date'])) }}  -- incremental

    The materialization is the model's own word, never inferred here: a model is incremental
    because its config says materialized='incremental', and unique_key only names the merge key
    (delete+insert / merge) of such a model. A unique_key on a model that does not say it is
    incremental fails compilation rather than silently rebuild the table every run.

    The values live in the var warehouse_table_layout (dbt_project.yml), their one home: the
    Python models' YAML, which cannot call a macro, reads the same var.

    BigQuery: partitioned by month of the date column. Daily partitions would hit BigQuery's limit
    of 4,000 partitions per table after ~16 years of data (see
    https://cloud.google.com/bigquery/quotas#partitioned_tables); monthly keeps 20+ years at 240+.
    Clustered by symbol (plus strategy where given) so per-symbol reads prune blocks. Incremental
    models use `merge` on the unique key, which is right whatever slice of dates the model
    re-selects; dynamic `insert_overwrite` would replace every touched month with only the rows of
    the batch, so it is only safe for models whose incremental select covers whole months.
    DuckDB: no partition_by / cluster_by (dbt-duckdb reads partition_by as a list of columns for
    its own partitioned writes and rejects BigQuery's dict);
    incremental models use `delete+insert` on the same unique key, the same result as merge.
    require_partition_filter is opt-in, for large marts analysts query directly: BigQuery then
    rejects queries without a filter on the date column that can prune partitions. Readers that
    need the whole history say so with every_partition() (macros/warehouse/every_partition.sql);
    dbt's data tests get it automatically (macros/warehouse/get_where_subquery.sql). Not on
    incremental models: dbt's merge and their is_incremental() lookups of {{ this }} would need
    partition filters too. Not on the bq_emulator target: crucible refuses the option rather than
    ignore it (ignoring it would change which queries succeed).
-#}
{% macro incremental_strategy() -%}
    {{ return(var('warehouse_table_layout')['incremental_strategy'][target.type]) }}
{%- endmacro %}

{% macro daily_table_config(
    date_column=none,
    cluster_by=none,
    unique_key=none,
    require_partition_filter=false
) -%}
    {%- set layout = var('warehouse_table_layout') -%}
    {%- set table_config = {} -%}
    {%- if target.type == 'bigquery' -%}
        {%- set partition_by = layout['bigquery_partition_by'].copy() -%}
        {%- if date_column is not none -%}
            {%- do partition_by.update({'field': date_column}) -%}
        {%- endif -%}
        {%- do table_config.update({
            'partition_by': partition_by,
            'cluster_by': layout['bigquery_cluster_by'] if cluster_by is none else cluster_by,
        }) -%}
    {%- endif -%}
    {%- if unique_key is not none -%}
        {%- if execute and model is defined and model.resource_type == 'model' and model.config.get('materialized') != 'incremental' -%}
            {%- do exceptions.raise_compiler_error(model.name ~ ": daily_table_config(unique_key=...) is for incremental models; say materialized='incremental' in the model's config") -%}
        {%- endif -%}
        {%- do table_config.update({
            'incremental_strategy': incremental_strategy(),
            'unique_key': unique_key,
            'on_schema_change': 'append_new_columns',
        }) -%}
    {%- endif -%}
    {%- if require_partition_filter and target.type == 'bigquery' and target.name != 'bq_emulator' -%}
        {%- do table_config.update({'require_partition_filter': true}) -%}
    {%- endif -%}
    {{ return(table_config) }}
{%- endmacro %}
