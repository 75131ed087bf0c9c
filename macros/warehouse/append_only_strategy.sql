{#-
    append_only_strategy(): the incremental strategy of a model whose pre_hook has already deleted
    every stored row its select re-creates, so the new rows are only inserted. DuckDB calls that
    `append`; dbt-bigquery has no `append`, but its `merge` without a unique_key merges on false,
    which inserts every row (https://docs.getdbt.com/docs/build/incremental-strategy).
-#}
{% macro append_only_strategy() -%}
    {{ return('merge' if target.type == 'bigquery' else 'append') }}
{%- endmacro %}
