{#-
    dbt's data tests select from the tested relation through get_where_subquery. On BigQuery, a
    model built with require_partition_filter (daily_table_config(require_partition_filter=true))
    rejects a test's full-table query, so this adds every_partition() on the model's partition
    column to the test's own `where` config. Every other relation (and every DuckDB test) gets dbt's
    behaviour unchanged. Tests read the whole table on purpose; only the requirement is satisfied.
    Override of dbt's bigquery dispatch: dbt searches the root project first for the dbt namespace.
-#}
{% macro bigquery__get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- set tested = graph.nodes.get(model.attached_node) if execute and model.attached_node else none -%}
    {%- if tested is not none and tested.config.require_partition_filter and tested.config.partition_by -%}
        {%- set partition_filter = every_partition(tested.config.partition_by.field) -%}
        {%- set where = partition_filter ~ (' and (' ~ where ~ ')' if where else '') -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
