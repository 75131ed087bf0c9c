{#-
    cross_sectional_ranks_resume(): whether int_cross_sectional_ranks can add only the days after its
    newest stored day, and from where. A rank on day D depends on every symbol's row on D and on
    each symbol's last rows before it, so the stored rows stay right exactly when no adjusted row
    dated on or before the newest stored day changed, appeared or went away, and every declared
    column is stored:
      resumable  incremental run, every column of cross_sectional_periods() stored, no
                 int_market_data_adjusted row dated <= through stamped after the newest stored
                 computed_at (a late corporate action, a corrected price, a late row, a new
                 symbol's history), and as many such rows as stored rows (none went away)
      through    the newest stored trade_date, as SQL
      stamp      the newest stored computed_at (the newest input stamp read), as SQL
    Read before the run (run_query), so both the model and its pre_hook (which deletes every stored
    row when the run is not resumable) see the same state. Offline (bigquery_check) the resumed
    path is compiled, with subqueries.
-#}
{% macro cross_sectional_ranks_resume() %}
    {%- set offline = {
        'resumable': true,
        'through': '(select max(trade_date) from ' ~ this ~ ')',
        'stamp': '(select max(computed_at) from ' ~ this ~ ')',
    } -%}
    {%- if not is_incremental() -%}
        {{ return({'resumable': false}) }}
    {%- elif var('se_offline_is_incremental', none) is not none -%}
        {{ return(offline) }}
    {%- elif not execute -%}
        {{ return({'resumable': false}) }}
    {%- endif -%}
    {%- set periods = cross_sectional_periods() -%}
    {%- set wanted_columns = ['bar_index', 'close', 'is_month_first_session'] -%}
    {%- for lookback in periods.sector_strength -%}
        {%- do wanted_columns.extend(['sector_relative_strength_' ~ lookback, 'sector_rank_' ~ lookback]) -%}
    {%- endfor -%}
    {%- for window in periods.momentum -%}
        {%- set suffix = window | join('_') -%}
        {%- do wanted_columns.extend(['momentum_' ~ suffix, 'momentum_rank_' ~ suffix, 'momentum_ranked_symbols_' ~ suffix]) -%}
    {%- endfor -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
    {%- if wanted_columns | reject('in', stored_columns) | list | length > 0 -%}
        {{ return({'resumable': false}) }}
    {%- endif -%}
    {%- set adjusted = ref('int_market_data_adjusted') -%}
    {%- set stored = run_query(
        'select max(trade_date), cast(max(computed_at) as ' ~ dbt.type_string() ~ '), count(*) from ' ~ this
    ).rows[0] -%}
    {%- if stored[0] is none -%}
        {{ return({'resumable': false}) }}
    {%- endif -%}
    {%- set through = date_literal(stored[0]) -%}
    {%- set stamp = adapter.dispatch('run_stamp', 'strategy_engine')(stored[1]) -%}
    {%- set upstream = run_query(
        'select count(*), coalesce(sum(case when computed_at > ' ~ stamp ~ ' then 1 else 0 end), 0) from '
        ~ adjusted ~ ' where trade_date <= ' ~ through
    ).rows[0] -%}
    {{ return({'resumable': upstream[0] == stored[2] and upstream[1] == 0, 'through': through, 'stamp': stamp}) }}
{% endmacro %}
