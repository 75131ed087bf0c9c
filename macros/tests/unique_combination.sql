{#- Generic test: no two rows share the given combination of columns (written here because the
    dbt hub, and so dbt_utils, is not reachable). -#}
{% test unique_combination(model, columns) %}
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having count(*) > 1
{% endtest %}
