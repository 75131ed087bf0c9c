-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#-
    delete_vanished_keys(upstream, key_columns): the pre_hook of an incremental model whose rows
    exist only for keys that upstream still has. It deletes every stored row whose key is not in
    upstream any more, as a full refresh would leave it out:

        delete row r  <=>  (r.key_1, ..., r.key_n) not in (select distinct key_1, ..., key_n from upstream)

    equity_curve: a (strategy_id, param_set_id) with no signal left (disabled, or its only signals
    vanished after a replay) has no equity rows at all, not even for its symbols without a replay.
    Does nothing unless the run is incremental.
-#}
{% macro delete_vanished_keys(upstream, key_columns) %}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set key_parts = [] -%}
    {%- for column in key_columns -%}
        {%- if not loop.first -%}
            {%- do key_parts.append("'|'") -%}
        {%- endif -%}
        {%- do key_parts.append(column) -%}
    {%- endfor -%}
    delete from {{ this }}
    where {{ dbt.concat(key_parts) }} not in (
        select distinct {{ dbt.concat(key_parts) }}
        from {{ upstream }}
    )
{% endmacro %}
