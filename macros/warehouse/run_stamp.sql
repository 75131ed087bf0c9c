{#- run_stamp(): the run stamp (computed_at) every row written by this dbt invocation carries, as a
    timestamp literal: run_started_at (dbt sets it in UTC; microseconds), the same value for every model of the
    invocation. Taken from dbt rather than the warehouse clock so that "the rows this run wrote" is an
    exact test, `computed_at >= run_stamp()`, with no margin for clock skew between the runner and the
    warehouse: a margin made a daily run that follows a full build within it test every row of the
    full build again. Each invocation starts later than the one before, so a newer stamp still means a
    later write (the watermarks of delete_replayed_groups and signals compare stamps across runs).
    DuckDB compares it as TIMESTAMPTZ (its current_timestamp type), so the session time zone does not
    shift it; BigQuery's TIMESTAMP is absolute.
    Reference: https://docs.getdbt.com/reference/dbt-jinja-functions/run_started_at -#}
{% macro run_stamp() -%}
    {%- set stamp = run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ '+00:00' -%}
    {{ return(adapter.dispatch('run_stamp', 'strategy_engine')(stamp)) }}
{%- endmacro %}

{% macro default__run_stamp(stamp) -%}
    {{ return("cast('" ~ stamp ~ "' as timestamptz)") }}
{%- endmacro %}

{% macro bigquery__run_stamp(stamp) -%}
    {{ return("timestamp '" ~ stamp ~ "'") }}
{%- endmacro %}
