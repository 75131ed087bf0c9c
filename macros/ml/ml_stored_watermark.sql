{#-
    ml_stored_watermark(): the newest run stamp (computed_at) stored in the incremental model being
    built, as a SQL expression: the ML marts (ml_market_features, ml_features, ml_labels) recompute
    every day on or after the first day whose adjusted prices were staged after it. Read before the
    run as a literal, so that DuckDB's scan of int_market_data_adjusted skips the row groups staged
    before it (as indicator_resume_bounds() does); offline (bigquery_check) a subquery; on a first
    build, or when the table is empty, a stamp older than every row (everything is recomputed).
-#}
{% macro ml_stored_watermark() %}
    {%- set oldest = "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")" -%}
    {%- if not is_incremental() -%}
        {{ return(oldest) }}
    {%- endif -%}
    {%- if var('se_offline_is_incremental', none) is not none -%}
        {{ return('(select max(computed_at) from ' ~ this ~ ')') }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(oldest) }}
    {%- endif -%}
    {%- set newest = run_query('select cast(max(computed_at) as ' ~ dbt.type_string() ~ ') from ' ~ this).rows[0][0] -%}
    {%- if newest is none -%}
        {{ return(oldest) }}
    {%- endif -%}
    {#- The stamp as the warehouse prints it (with its UTC offset), read back exactly. -#}
    {{ return(adapter.dispatch('run_stamp', 'strategy_engine')(newest)) }}
{% endmacro %}
