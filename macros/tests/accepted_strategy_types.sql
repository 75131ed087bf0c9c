-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja test.)
{#- Generic test: every non-NULL value of the column names a strategy type the project discovers
    (a macro strategy_type__<type> in macros/strategies/; strategy_type_macros), so no list of
    types is kept here. -#}
{% test accepted_strategy_types(model, column_name) %}
    {%- set known = strategy_type_macros().keys() | sort -%}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} not in ('{{ known | join("', '") }}')
{% endtest %}
