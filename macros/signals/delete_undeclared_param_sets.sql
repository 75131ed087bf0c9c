-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#-
    delete_undeclared_param_sets(): a pre_hook of the incremental int_strategy_candidates. Deletes
    the stored rows of (strategy_id, param_set_id) pairs that are no longer enabled in the dbt var
    `strategies` (strategy_param_sets(enabled_only=true)), as a full refresh would drop them;
    positions and signals then drop the groups through delete_replayed_groups (no upstream rows).
    Does nothing unless the run is incremental.
-#}
{% macro delete_undeclared_param_sets() %}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set declared = [] -%}
    {%- for param_set in strategy_param_sets(enabled_only=true) -%}
        {%- do declared.append("'" ~ param_set.strategy_id ~ "|" ~ param_set.param_set_id ~ "'") -%}
    {%- endfor -%}
    delete from {{ this }}
    where {{ dbt.concat(['strategy_id', "'|'", 'param_set_id']) }} not in ({{ declared | join(', ') if declared else "''" }})
{% endmacro %}
