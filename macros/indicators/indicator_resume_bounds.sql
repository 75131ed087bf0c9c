{#-
    indicator_resume_bounds(): where a daily run of a model that resumes recursive indicators
    (indicators, int_indicator_variants) looks, as a dict of SQL expressions:
      recent_from     stored rows from two weeks before the newest stored day (a symbol's last
                      row is there unless it stopped trading);
      stored_through  adjusted prices staged after the newest stored stamp (new days, readjusted
                      and new symbols).
    Read before the run as literals, so that the scans filter by them (DuckDB then fetches the
    other columns only for those rows); offline (bigquery_check) as subqueries; on a first build
    bounds that exclude nothing.
-#}
{% macro indicator_resume_bounds() %}
    {%- set bounds = {
        'recent_from': "cast('1900-01-01' as date)",
        'stored_through': "cast('1900-01-01' as " ~ dbt.type_timestamp() ~ ")",
    } -%}
    {%- if is_incremental() -%}
        {%- if var('se_offline_is_incremental', none) is not none -%}
            {%- do bounds.update({
                'recent_from': dbt.dateadd('day', -14, '(select max(trade_date) from ' ~ this ~ ')'),
                'stored_through': '(select max(computed_at) from ' ~ this ~ ')',
            }) -%}
        {%- elif execute -%}
            {%- set newest = run_query('select max(trade_date), cast(max(computed_at) as ' ~ dbt.type_string() ~ ') from ' ~ this).rows[0] -%}
            {%- if newest[0] is not none -%}
                {#- The stamp as the warehouse prints it (with its UTC offset), read back exactly. -#}
                {%- do bounds.update({
                    'recent_from': date_literal(newest[0], 14),
                    'stored_through': adapter.dispatch('run_stamp', 'strategy_engine')(newest[1]),
                }) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(bounds) }}
{% endmacro %}
