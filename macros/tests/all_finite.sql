-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of the Jinja loops inside this SQL-emitting macro.)
{#-
    Generic model test all_finite(except_columns=[]): no floating-point column of the model holds
    an infinity or a NaN, except the listed columns (their descriptions say when they are not
    finite). Integer and decimal columns cannot hold either. The float columns are read from the
    warehouse when the test runs, so a column added later is checked without listing it.
    Fails with one row per offending row, naming its first non-finite column. NULL is not a violation (not_null says
    where NULL is wrong).
-#}
{% test all_finite(model, except_columns=[]) %}
    {{ non_finite_values(model, _tested_node() if execute else none, except_columns) }}
{% endtest %}

{#-
    The rows of `rows` (the tested node's relation, or a subquery of it) with a non-finite float
    value. scripts/bigquery_check.py compiles offline (var se_offline_is_incremental set), where
    the warehouse cannot be asked for the types: it gets the same SQL over the documented columns.
-#}
{% macro non_finite_values(rows, tested, except_columns=[]) -%}
    {%- set checked = [] -%}
    {%- if execute and tested is not none -%}
        {%- set excepted = except_columns | map('lower') | list -%}
        {%- if var('se_offline_is_incremental', none) is not none -%}
            {%- set candidates = tested.columns.keys() | list -%}
        {%- else -%}
            {%- set relation = api.Relation.create(
                database=tested.database, schema=tested.schema, identifier=tested.alias) -%}
            {%- set candidates = [] -%}
            {%- for column in adapter.get_columns_in_relation(relation) if column.is_float() -%}
                {%- do candidates.append(column.name) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- for column in candidates if column | lower not in excepted -%}
            {%- do checked.append(column) -%}
        {%- endfor -%}
    {%- endif -%}
    {#- One scan naming each row's first non-finite column: a query per column would read a large
        mart (equity_curve) once per float column. -#}
    {%- if not checked %}
    select 'none' as non_finite_column
    from {{ rows }}
    where false
    {%- else %}
    select non_finite_column
    from (
        select
            case
                {%- for column in checked %}
                when not {{ is_finite_number(adapter.quote(column)) }} then '{{ column }}'
                {%- endfor %}
            end as non_finite_column
        from {{ rows }}
    ) as checked_rows
    where non_finite_column is not null
    {%- endif -%}
{%- endmacro %}
