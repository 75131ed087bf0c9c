{#- run_stamp_lower_bound(): the earliest run stamp (computed_at, generated_at) a row written by
    this dbt invocation can carry, as a timestamp literal: run_started_at (UTC) minus five minutes of
    margin for clock skew between the runner and the warehouse (an hour made a daily run that
    follows a full build within the hour test every row of the full build again). Used by get_where_subquery's
    __rows_of_this_run__ placeholder. DuckDB compares it as TIMESTAMPTZ (its now() type), so the
    session time zone does not shift it; BigQuery's TIMESTAMP is absolute.
    Reference: https://docs.getdbt.com/reference/dbt-jinja-functions/run_started_at -#}
{% macro run_stamp_lower_bound() -%}
    {%- set bound = (run_started_at - modules.datetime.timedelta(minutes=5)).strftime('%Y-%m-%d %H:%M:%S') ~ '+00:00' -%}
    {{ return(adapter.dispatch('run_stamp_lower_bound', 'strategy_engine')(bound)) }}
{%- endmacro %}

{% macro default__run_stamp_lower_bound(bound) -%}
    {{ return("cast('" ~ bound ~ "' as timestamptz)") }}
{%- endmacro %}

{% macro bigquery__run_stamp_lower_bound(bound) -%}
    {{ return("timestamp '" ~ bound ~ "'") }}
{%- endmacro %}
