{#- Generic test: no two rows share the given combination of columns (written here because the
    dbt hub, and so dbt_utils, is not reachable). Column names are quoted, so reserved words such
    as `window` are plain names in the YAML. -#}
{% test unique_combination(model, columns) %}
    select
        {{ quoted_columns(columns) }},
        count(*) as occurrences
    from {{ model }}
    group by {{ quoted_columns(columns) }}
    having count(*) > 1
{% endtest %}

{% macro quoted_columns(columns) -%}
    {%- set quoted = [] -%}
    {%- for column in columns -%}
        {%- do quoted.append(adapter.quote(column)) -%}
    {%- endfor -%}
    {{ return(quoted | join(', ')) }}
{%- endmacro %}
