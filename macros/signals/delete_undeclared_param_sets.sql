-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#-
    delete_undeclared_param_sets(): a pre_hook of the incremental strategy_candidates. Deletes
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
        {%- do declared.append("(strategy_id = '" ~ param_set.strategy_id ~ "' and param_set_id = '" ~ param_set.param_set_id ~ "')") -%}
    {%- endfor -%}
    {#- Column comparisons, not the concatenated key: DuckDB then compares the stored (dictionary)
        strings instead of building a string per row (0.04 s instead of 0.26 s for 7M rows). The
        rows are counted first and the hook renders nothing when there are none (a plain daily
        run): the DELETE itself costs 0.15 s even when it deletes nothing. -#}
    {%- set undeclared -%}
        strategy_id is not null and param_set_id is not null and not ({{ declared | join(' or ') if declared else 'false' }})
    {%- endset -%}
    {%- set found = run_query('select count(*) from ' ~ this ~ ' where ' ~ undeclared) if execute else none -%}
    {%- if found is not none and found.rows[0][0] == 0 -%}
        {{ return('') }}
    {%- endif -%}
    delete from {{ this }}
    where {{ undeclared }}
{% endmacro %}
