{#-
    dbt's data tests select from the tested relation through get_where_subquery(relation), which
    applies the test's `where` config. This override adds two things:

    1. The placeholder __rows_of_this_run__ in a test's `where` becomes a filter on the tested
       model's run stamp: rows written by this dbt invocation, e.g.
           computed_at >= run_stamp()
       The stamp column is the model's meta `run_stamp_column`, else its documented `computed_at`,
       else `generated_at`; a model without one is tested in full (the placeholder becomes true, or no filter at all).
       A build from empty stamps every row, so full builds and `make test` still test everything;
       a daily run tests only the rows it wrote. Models stamp rows with run_stamp() (dbt's
       run_started_at, not the warehouse clock), so the filter is exact: no clock-skew margin, and a
       run that follows another within minutes does not test the earlier run's rows again. Use it only on row-local tests (not_null, accepted_values,
       relationships from the child, ranges): a test over a whole group (uniqueness across the
       table, alternation, counts adding up) stays unscoped or has its own bound.
    2. On BigQuery, a model built with require_partition_filter rejects a full-table query, so
       every_partition() on its partition column joins the `where` (the test still reads all of it).

    tested_rows(relation, tested, where) is the same for a test that is not the current node
    (left_out_row_checks runs other tests' checks in one query).

    Overrides dbt's default and bigquery dispatch: dbt searches the root project first for the dbt
    namespace. Reference: https://docs.getdbt.com/reference/resource-configs/where
-#}
{% macro default__get_where_subquery(relation) -%}
    {{ return(tested_rows(relation, _tested_node(), config.get('where', '') or '')) }}
{%- endmacro %}

{% macro bigquery__get_where_subquery(relation) -%}
    {{ return(tested_rows(relation, _tested_node(), config.get('where', '') or '')) }}
{%- endmacro %}

{% macro tested_rows(relation, tested, where) -%}
    {%- set where = test_where_clause(tested, where) -%}
    {%- set where = adapter.dispatch('partition_guarded_where', 'strategy_engine')(tested, where) -%}
    {{ return(tested_subquery(relation, where)) }}
{%- endmacro %}

{% macro default__partition_guarded_where(tested, where) -%}
    {{ return(where) }}
{%- endmacro %}

{% macro bigquery__partition_guarded_where(tested, where) -%}
    {%- if tested is not none and tested.config.require_partition_filter and tested.config.partition_by -%}
        {%- set partition_filter = every_partition(tested.config.partition_by.field) -%}
        {{ return(partition_filter ~ (' and (' ~ where ~ ')' if where else '')) }}
    {%- endif -%}
    {{ return(where) }}
{%- endmacro %}

{% macro tested_subquery(relation, where) -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}

{% macro _tested_node() -%}
    {%- if execute and model.attached_node -%}
        {{ return(graph.nodes.get(model.attached_node)) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{% macro test_where_clause(tested, where) -%}
    {%- if '__rows_of_this_run__' not in where -%}
        {{ return(where) }}
    {%- endif -%}
    {%- set stamp = none -%}
    {%- if tested is not none and tested.config.meta.get('run_stamp_column') -%}
        {%- set stamp = tested.config.meta.get('run_stamp_column') -%}
    {%- elif tested is not none and 'computed_at' in tested.columns -%}
        {%- set stamp = 'computed_at' -%}
    {%- elif tested is not none and 'generated_at' in tested.columns -%}
        {%- set stamp = 'generated_at' -%}
    {%- endif -%}
    {%- if stamp is none and where | trim == '__rows_of_this_run__' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set rows_of_this_run = 'true' if stamp is none else stamp ~ ' >= ' ~ run_stamp() -%}
    {{ return(where | replace('__rows_of_this_run__', '(' ~ rows_of_this_run ~ ')')) }}
{%- endmacro %}
