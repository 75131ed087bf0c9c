{#- Generic test: no two rows share the given combination of columns (written here because the
    dbt hub, and so dbt_utils, is not reachable). Column names are quoted, so reserved words such
    as `window` are plain names in the YAML. -#}
{% test unique_combination(model, columns) %}
    {{ adapter.dispatch('unique_combination_sql')(model, columns) }}
{% endtest %}

{#- The rows of every repeated combination with its count: the test's SQL. -#}
{% macro default__unique_combination_sql(model, columns) %}
    select
        {{ quoted_columns(columns) }},
        count(*) as occurrences
    from {{ model }}
    group by {{ quoted_columns(columns) }}
    having count(*) > 1
{% endmacro %}

{#- DuckDB: grouping tens of millions of rows by three text keys and a date is most of a full
    build's test time. A first pass groups one 64-bit hash of the combination instead (about half
    the time); only rows whose hash repeats, none unless something is wrong or two combinations
    collide, are grouped by the columns themselves, so the result is exactly the default's. -#}
{% macro duckdb__unique_combination_sql(model, columns) %}
    select
        {{ quoted_columns(columns) }},
        count(*) as occurrences
    from {{ model }}
    where hash({{ quoted_columns(columns) }}) in (
        select hash({{ quoted_columns(columns) }}) as combination_hash
        from {{ model }}
        group by combination_hash
        having count(*) > 1
    )
    group by {{ quoted_columns(columns) }}
    having count(*) > 1
{% endmacro %}

{% macro quoted_columns(columns) -%}
    {%- set quoted = [] -%}
    {%- for column in columns -%}
        {%- do quoted.append(adapter.quote(column)) -%}
    {%- endfor -%}
    {{ return(quoted | join(', ')) }}
{%- endmacro %}
