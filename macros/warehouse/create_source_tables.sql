{#-
    Creates the source tables when they do not exist yet, so that `dbt build` works on a
    warehouse that was never loaded (it then builds empty marts) and on one loaded only with market
    data (no corporate actions). The loader owns the data; this only guarantees the shape, which
    models/staging/__sources.yml defines once (columns with a portable data_type, the source's
    meta.warehouse_types, a table's meta.bigquery layout) and strategy_engine/source_tables.py
    reads too: the loaders create the same tables with the same statements.
-#}
{% macro create_source_tables() -%}
    {{ return(adapter.dispatch('create_source_tables', 'strategy_engine')()) }}
{%- endmacro %}

{#- The trading_data tables of dbt's graph, in the YAML's order (none while parsing). -#}
{% macro source_table_nodes() -%}
    {%- set tables = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() -%}
            {%- if node.package_name == 'strategy_engine' and node.source_name == 'trading_data' -%}
                {%- do tables.append(node) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {{ return(tables) }}
{%- endmacro %}

{#- "name type, name type, ..." of one source table on one warehouse (duckdb | bigquery). -#}
{% macro source_column_list(node, warehouse, not_null=[]) -%}
    {%- set types = node.config.meta.warehouse_types -%}
    {%- for column in node.columns.values() -%}
        {{ column.name }} {{ types[column.data_type][warehouse] }}{{ ' not null' if column.name in not_null }}{{ ',\n    ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{% macro default__create_source_tables() -%}
    create schema if not exists {{ source_schema() }};
    {%- for node in source_table_nodes() %}
    create table if not exists {{ source_schema() }}.{{ node.name }} ({{ source_column_list(node, 'duckdb') }});
    {%- endfor %}
{%- endmacro %}

{% macro bigquery__create_source_tables() -%}
    {%- set dataset = '`' ~ target.project ~ '`.' ~ source_schema() -%}
    create schema if not exists {{ dataset }} options (location = '{{ target.location }}');
    {%- for node in source_table_nodes() %}
        {%- set layout = node.config.meta.get('bigquery', {}) %}
    create table if not exists {{ dataset }}.{{ node.name }} (
    {{ source_column_list(node, 'bigquery', layout.get('not_null', [])) }}
)
        {%- if layout.get('partition_by') %}
partition by {{ layout['partition_by'] }}
        {%- endif %}
        {%- if layout.get('cluster_by') %}
cluster by {{ layout['cluster_by'] | join(', ') }}
        {%- endif %}
        {%- if layout.get('description') %}
options (description = '{{ layout['description'] | replace('\\', '\\\\') | replace("'", "\\'") }}')
        {%- endif %};
    {%- endfor %}
{%- endmacro %}
