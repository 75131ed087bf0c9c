-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#- last_stored_rows(relation, group_columns, order_column): the rows of `relation` that hold each
    group's largest `order_column` (its last stored day or year), the state an incremental model
    continues from. An inner join with the per-group maximum, so it is the same SQL on DuckDB and
    BigQuery (no QUALIFY); a tie on the maximum returns every tied row. -#}
{% macro last_stored_rows(relation, group_columns, order_column) -%}
    select stored.*
    from {{ relation }} as stored
    inner join (
        select
            {{ group_columns | join(',\n            ') }},
            max({{ order_column }}) as last_{{ order_column }}
        from {{ relation }}
        group by {% for column in group_columns %}{{ loop.index }}{{ ', ' if not loop.last }}{% endfor %}
    ) as last_rows
        on
            {%- for column in group_columns %}
            {{ 'and ' if not loop.first }}stored.{{ column }} = last_rows.{{ column }}
            {%- endfor %}
            and stored.{{ order_column }} = last_rows.last_{{ order_column }}
{%- endmacro %}
