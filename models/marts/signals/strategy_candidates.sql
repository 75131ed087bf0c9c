-- One row per (strategy, parameter set, symbol, trading day) of every enabled strategy: the
-- indicator values it compares, whether the day is an entry or exit candidate, and the strength.
-- Analysts query it to see why a day was or was not an entry or exit candidate. Candidates are not
-- yet signals: the position state machine (model `positions`) keeps only the entries taken while
-- flat and the exits taken while in a position.
-- The SQL below is generated per parameter set from the dbt var `strategies` at compile time, so
-- window frames carry literal periods and a new instance needs no SQL change. Each set's values
-- and rules come from its type's file (macros/strategies/<type>.sql, via strategy_type()); the
-- indicator inputs it declares are read from the indicators mart, int_indicator_variants (RSI,
-- EMA and MACD periods the mart does not carry), path_indicators (SuperTrend direction,
-- trailing-stop candidates) and int_cross_sectional_ranks (sector and momentum ranks, the monthly
-- rebalance day), joined on (symbol, trade_date); only the columns some set uses.
-- Incremental (docs/SIGNALS.md): the pre_hook deletes the groups whose indicators were rewritten
-- on or before their last stored day (late corporate action, corrected price); those and groups
-- not stored yet are computed from their first row, the others only for days after their last
-- stored day, reading the last `history_rows` stored days for crossings and rolling windows; of
-- indicators, int_indicator_variants and path_indicators only the days from the earliest of those
-- (symbol_read_from). A set with cross-sectional inputs stores as indicators_computed_at the newer of
-- its indicators row's and its int_cross_sectional_ranks row's stamp, and a second pre_hook replays
-- its groups when another symbol's rewritten history changed the ranks (delete_cross_sectional_replays).
-- depends_on: {{ ref('int_cross_sectional_ranks') }}
{{
    config(
        materialized='incremental',
        pre_hook=[
            "{{ delete_undeclared_param_sets() }}",
            "{{ delete_replayed_groups(ref('indicators'), ['strategy_id', 'param_set_id', 'symbol'], ['symbol'], watermark_column='indicators_computed_at') }}",
            "{{ delete_cross_sectional_replays() }}",
        ],
        **daily_table_config(
            cluster_by=['strategy_id', 'symbol'],
            unique_key=['strategy_id', 'param_set_id', 'symbol', 'trade_date']
        )
    )
}}
{%- set param_sets = strategy_param_sets(enabled_only=true) %}
{%- set type_specs = [] %}
{%- for param_set in param_sets %}
    {%- do type_specs.append(strategy_type(param_set.strategy_type, param_set.params)) %}
{%- endfor %}
{#- The path_indicators columns the sets read: trailing-stop candidates and SuperTrend inputs. #}
{%- set path_columns = [] %}
{%- for param_set in param_sets %}
    {%- set wanted = [strategy_stop_candidate(param_set.params)] %}
    {%- for bands in type_specs[loop.index0].inputs.get('supertrend') or [] %}
        {%- do wanted.append(strategy_indicator_column('supertrend', bands, 'direction')) %}
    {%- endfor %}
    {%- for column in wanted if column != 'null' and column not in path_columns %}
        {%- do path_columns.append(column) %}
    {%- endfor %}
{%- endfor %}
{#- The int_indicator_variants columns the sets read (periods the indicators mart does not carry). #}
{%- set variants = indicator_variant_periods() %}
{%- set variant_columns = [] %}
{%- for period in variants.rsi %}
    {%- do variant_columns.append('rsi_' ~ period) %}
{%- endfor %}
{%- for period in variants.ema %}
    {%- do variant_columns.append('ema_' ~ period) %}
{%- endfor %}
{%- for triple in variants.macd %}
    {%- for output in ['line', 'signal'] %}
        {%- do variant_columns.append(strategy_indicator_column('macd', triple, output)) %}
    {%- endfor %}
{%- endfor %}
{#- The int_cross_sectional_ranks columns the sets read (cross_sectional_periods). #}
{%- set cross_sectional = cross_sectional_periods() %}
{%- set cross_sectional_columns = [] %}
{%- for lookback in cross_sectional.sector_strength %}
    {%- for output in ['relative_strength', 'rank'] %}
        {%- do cross_sectional_columns.append(strategy_indicator_column('sector_strength', lookback, output)) %}
    {%- endfor %}
{%- endfor %}
{%- for window in cross_sectional.momentum %}
    {%- for output in ['return', 'rank', 'ranked_symbols'] %}
        {%- do cross_sectional_columns.append(strategy_indicator_column('momentum', window, output)) %}
    {%- endfor %}
{%- endfor %}
{%- if cross_sectional_columns or cross_sectional.rebalance_day %}
    {%- do cross_sectional_columns.append('is_month_first_session') %}
{%- endif %}
{%- set read_relations = [('read_bars', ref('indicators')), ('read_path_indicators', ref('path_indicators')), ('read_indicator_variants', ref('int_indicator_variants'))] %}
{%- if cross_sectional_columns %}
    {%- do read_relations.append(('read_cross_sectional_ranks', ref('int_cross_sectional_ranks'))) %}
{%- endif %}
{#- Whether a set reads a cross-sectional input: its indicators_computed_at then also follows the ranks. #}
{%- set reads_cross_sectional = [] %}
{%- for type_spec in type_specs %}
    {%- do reads_cross_sectional.append(cross_sectional.keys() | select('in', type_spec.inputs.keys() | list) | list | length > 0) %}
{%- endfor %}
{#- Stored rows a continued group re-reads: the previous row for crossings; when the set computes
    a rolling statistic here (strategy_rolling_stat: a window frame, 'preceding'), a whole window
    (conservatively the longest period among the set's sma and bollinger inputs). #}
{%- set history_rows_by_set = [] %}
{%- for type_spec in type_specs %}
    {%- set columns = type_spec.columns %}
    {%- set periods = [1] %}
    {%- for period in type_spec.inputs.get('sma') or [] %}
        {%- do periods.append(period) %}
    {%- endfor %}
    {%- for bands in type_spec.inputs.get('bollinger') or [] %}
        {%- do periods.append(bands[0]) %}
    {%- endfor %}
    {%- set compared_sql = [columns.indicator_value, columns.entry_reference_value, columns.exit_reference_value, columns.filter_value] | join(' ') %}
    {%- do history_rows_by_set.append((periods | max) if 'preceding' in compared_sql else 1) %}
{%- endfor %}

{#- A plain daily run (the stored rows are exactly one per enabled set for every indicators row
    not newer than their newest indicators_computed_at, so no set, symbol history or replay is
    pending, only new indicators rows) reads only the symbols with new indicators rows and finds
    their groups' last rows among the stored rows of the last two weeks instead of grouping the
    whole table. A group of such a symbol whose last row is older (a new symbol, a long
    suspension) is computed from its first row, which rewrites its rows with the same values.
    Any other run takes the general path below. The counts are read before the pre_hooks run;
    when they hold, the pre_hooks have nothing to delete. Offline (bigquery_check) the daily path
    is compiled. #}
{%- set daily_path = false %}
{%- set recent_from = '(select max(trade_date) from ' ~ this ~ ')' %}
{#- The daily path's bounds, read before the run as literals so that the scans filter by them:
    indicators rows newer than the stamp the stored rows were computed from, and the days re-read
    for history from `read_from` on (400 days before the newest stored day, more than the longest
    re-read window; a symbol whose history starts earlier is read as before, by its own bound). #}
{%- set read_through = '(select max(indicators_computed_at) from ' ~ this ~ ')' %}
{%- set read_from = dbt.dateadd('day', -400, recent_from) %}
{%- if is_incremental() and param_sets %}
    {%- if var('se_offline_is_incremental', none) is not none %}
        {%- set daily_path = true %}
        {%- set recent_from = dbt.dateadd('day', -14, recent_from) %}
    {%- elif execute %}
        {%- set counts = run_query(
            'select (select count(*) from ' ~ this ~ ') as stored_rows, (select count(*) from '
            ~ ref('indicators') ~ ' where computed_at <= (select max(indicators_computed_at) from '
            ~ this ~ ')) as read_rows, (select max(trade_date) from ' ~ this ~ ') as last_date, '
            ~ '(select cast(max(indicators_computed_at) as ' ~ dbt.type_string() ~ ') from ' ~ this ~ ') as read_through'
        ) %}
        {%- set stored_rows, read_rows, last_date = counts.rows[0][0], counts.rows[0][1], counts.rows[0][2] %}
        {%- set daily_path = stored_rows > 0 and stored_rows == read_rows * (param_sets | length) %}
        {#- A literal date, so that the scan filters by it before any join. #}
        {%- if daily_path %}
            {%- set recent_from = date_literal(last_date, 14) %}
            {%- set read_from = date_literal(last_date, 400) %}
            {#- The stamp as the warehouse prints it (with its UTC offset), read back exactly. #}
            {%- set read_through = adapter.dispatch('run_stamp', 'strategy_engine')(counts.rows[0][3]) %}
        {%- endif %}
    {%- endif %}
{%- endif %}

with

indicator_bars as (

    select * from {{ ref('indicators') }}

),

path_indicators as (

    select * from {{ ref('path_indicators') }}

),

indicator_variants as (

    select * from {{ ref('int_indicator_variants') }}

),

{%- if is_incremental() and param_sets %}

{%- if daily_path %}

-- The symbols with indicators rows newer than every stored row's: the only ones with new days.
changed_symbols as (

    select distinct symbol
    from {{ ref('indicators') }}
    where computed_at > {{ read_through }}

),

-- Their groups' last day and bar_index, from the stored rows of the last two weeks.
stored_groups as (

    select
        strategy_id,
        param_set_id,
        symbol,
        max(trade_date) as last_date,
        max(bar_index) as last_bar_index
    from {{ this }}
    where
        trade_date >= {{ recent_from }}
        and symbol in (select changed_symbols.symbol from changed_symbols)
    group by strategy_id, param_set_id, symbol

),
{%- else %}

-- Per stored group: its last day and bar_index (groups deleted by the pre_hook are absent).
stored_groups as (

    select
        strategy_id,
        param_set_id,
        symbol,
        max(trade_date) as last_date,
        max(bar_index) as last_bar_index
    from {{ this }}
    group by strategy_id, param_set_id, symbol

),
{%- endif %}
{%- for param_set in param_sets %}

history_start_{{ loop.index }} as (
{%- if history_rows_by_set[loop.index0] == 1 %}

    -- One row of history: the last stored row itself (bar_index grows with trade_date), so no
    -- join with the stored rows (whose estimated size made DuckDB size every window below for
    -- millions of rows).
    select
        stored.symbol,
        stored.last_date,
        stored.last_date as first_history_date,
        stored.last_bar_index as first_history_bar_index
    from stored_groups as stored
    where
        stored.strategy_id = '{{ param_set.strategy_id }}'
        and stored.param_set_id = '{{ param_set.param_set_id }}'
{%- else %}

    -- Grouped by symbol alone (one group per symbol in a set, so max(last_date) is its value): the
    -- planner then expects one row per symbol rather than per symbol and day.
    select
        stored.symbol,
        max(stored.last_date) as last_date,
        min(stored_rows.trade_date) as first_history_date,
        min(stored_rows.bar_index) as first_history_bar_index
    from stored_groups as stored
    inner join {{ this }} as stored_rows
        on
            stored.strategy_id = stored_rows.strategy_id
            and stored.param_set_id = stored_rows.param_set_id
            and stored.symbol = stored_rows.symbol
            and stored_rows.bar_index > stored.last_bar_index - {{ history_rows_by_set[loop.index0] }}
    where
        stored.strategy_id = '{{ param_set.strategy_id }}'
        and stored.param_set_id = '{{ param_set.param_set_id }}'
    group by stored.symbol
{%- endif %}

),
{%- endfor %}

-- The first day any set re-reads, for the symbols whose groups are all stored: only those days of
-- indicators and path_indicators are read. A symbol with a group not stored (new, replayed) is read in full.
symbol_read_from as (

    select
        symbol,
        min(first_history_date) as first_read_date
    from (
        {%- for param_set in param_sets %}
        select
            symbol,
            first_history_date
        from history_start_{{ loop.index }}
        {% if not loop.last %}union all{% endif %}
        {%- endfor %}
    ) as history_starts
    group by symbol
    having count(*) = {{ param_sets | length }}

),

{%- if daily_path %}

-- Symbols whose re-read days start on or after read_from: those days are read with a constant
-- bound first. Every other changed symbol is read as before, from its own first day.
bounded_symbols as (

    select symbol_read_from.symbol
    from symbol_read_from
    where
        symbol_read_from.first_read_date >= {{ read_from }}
        and symbol_read_from.symbol in (select changed_symbols.symbol from changed_symbols)

),

unbounded_symbols as (

    select changed_symbols.symbol
    from changed_symbols
    left join bounded_symbols on changed_symbols.symbol = bounded_symbols.symbol
    where bounded_symbols.symbol is null

),
{%- for cte, relation in read_relations %}

{{ cte }} as (

    select bounded_rows.*
    from {{ relation }} as bounded_rows
    inner join symbol_read_from on bounded_rows.symbol = symbol_read_from.symbol
    where
        bounded_rows.trade_date >= {{ read_from }}
        and bounded_rows.trade_date >= symbol_read_from.first_read_date
        and bounded_rows.symbol in (select bounded_symbols.symbol from bounded_symbols)
    union all
    select unbounded_rows.*
    from {{ relation }} as unbounded_rows
    left join symbol_read_from on unbounded_rows.symbol = symbol_read_from.symbol
    where
        (symbol_read_from.symbol is null or unbounded_rows.trade_date >= symbol_read_from.first_read_date)
        and unbounded_rows.symbol in (select unbounded_symbols.symbol from unbounded_symbols)

),
{%- endfor %}
{%- else %}

read_bars as (

    select indicator_bars.*
    from indicator_bars
    left join symbol_read_from on indicator_bars.symbol = symbol_read_from.symbol
    where symbol_read_from.symbol is null or indicator_bars.trade_date >= symbol_read_from.first_read_date

),

read_path_indicators as (

    select path_indicators.*
    from path_indicators
    left join symbol_read_from on path_indicators.symbol = symbol_read_from.symbol
    where symbol_read_from.symbol is null or path_indicators.trade_date >= symbol_read_from.first_read_date

),

read_indicator_variants as (

    select indicator_variants.*
    from indicator_variants
    left join symbol_read_from on indicator_variants.symbol = symbol_read_from.symbol
    where symbol_read_from.symbol is null or indicator_variants.trade_date >= symbol_read_from.first_read_date

),
{%- if cross_sectional_columns %}

read_cross_sectional_ranks as (

    select cross_sectional_ranks.*
    from {{ ref('int_cross_sectional_ranks') }} as cross_sectional_ranks
    left join symbol_read_from on cross_sectional_ranks.symbol = symbol_read_from.symbol
    where symbol_read_from.symbol is null or cross_sectional_ranks.trade_date >= symbol_read_from.first_read_date

),
{%- endif %}
{%- endif %}
{%- else %}

read_bars as (

    select * from indicator_bars

),

read_path_indicators as (

    select * from path_indicators

),

read_indicator_variants as (

    select * from indicator_variants

),
{%- if cross_sectional_columns %}

read_cross_sectional_ranks as (

    select * from {{ ref('int_cross_sectional_ranks') }}

),
{%- endif %}
{%- endif %}

indicators as (

    select
        indicator_bars.*,
        indicator_bars.computed_at as indicators_computed_at
        {%- for column in path_columns %},
        path_indicators.{{ column }}
        {%- endfor %}
        {%- for column in variant_columns %},
        indicator_variants.{{ column }}
        {%- endfor %}
        {%- for column in cross_sectional_columns %},
        cross_sectional_ranks.{{ column }}
        {%- endfor %}
        {%- if cross_sectional_columns %},
        cross_sectional_ranks.computed_at as cross_sectional_computed_at
        {%- endif %}
    from read_bars as indicator_bars
    left join read_path_indicators as path_indicators
        on
            indicator_bars.symbol = path_indicators.symbol
            and indicator_bars.trade_date = path_indicators.trade_date
    left join read_indicator_variants as indicator_variants
        on
            indicator_bars.symbol = indicator_variants.symbol
            and indicator_bars.trade_date = indicator_variants.trade_date
    {%- if cross_sectional_columns %}
    left join read_cross_sectional_ranks as cross_sectional_ranks
        on
            indicator_bars.symbol = cross_sectional_ranks.symbol
            and indicator_bars.trade_date = cross_sectional_ranks.trade_date
    {%- endif %}

),
{% for param_set in param_sets %}
{%- set columns = type_specs[loop.index0].columns %}
{%- set rules = strategy_rules(type_specs[loop.index0]) %}

-- The rows this set computes: every row of new or replayed groups, the re-read history and the
-- new days of continued groups.
sliced_{{ loop.index }} as (

    select
        indicators.*,
        {%- if is_incremental() %}
        history.last_date,
        coalesce(history.first_history_bar_index, 0) as first_bar_index
    from indicators
    left join history_start_{{ loop.index }} as history
        on indicators.symbol = history.symbol
    where history.symbol is null or indicators.trade_date >= history.first_history_date
        {%- else %}
        cast(null as date) as last_date,
        0 as first_bar_index
    from indicators
        {%- endif %}

),

inputs_{{ loop.index }} as (

    select
        symbol,
        trade_date,
        last_date,
        first_bar_index + row_number() over (partition by symbol order by trade_date) - 1 as bar_index,
        {%- if reads_cross_sectional[loop.index0] %}
        case
            when cross_sectional_computed_at > indicators_computed_at then cross_sectional_computed_at
            else indicators_computed_at
        end as indicators_computed_at,
        {%- else %}
        indicators_computed_at,
        {%- endif %}
        close as close_price,
        cast({{ columns.indicator_value }} as {{ strategy_float_type() }}) as indicator_value,
        cast({{ columns.entry_reference_value }} as {{ strategy_float_type() }}) as entry_reference_value,
        cast({{ columns.exit_reference_value }} as {{ strategy_float_type() }}) as exit_reference_value,
        cast({{ columns.filter_value }} as {{ strategy_float_type() }}) as filter_value,
        cast({{ strategy_stop_candidate(param_set.params) }} as {{ strategy_float_type() }}) as stop_candidate
    from sliced_{{ loop.index }}

),

lagged_{{ loop.index }} as (

    select
        *,
        lag(indicator_value) over (partition by symbol order by trade_date) as prev_indicator_value,
        lag(entry_reference_value) over (partition by symbol order by trade_date) as prev_entry_reference_value,
        lag(exit_reference_value) over (partition by symbol order by trade_date) as prev_exit_reference_value
    from inputs_{{ loop.index }}

),

candidates_{{ loop.index }} as (

    select
        '{{ param_set.strategy_id }}' as strategy_id,
        '{{ param_set.param_set_id }}' as param_set_id,
        '{{ param_set.strategy_type }}' as strategy_type,
        symbol,
        trade_date,
        bar_index,
        close_price,
        indicator_value,
        entry_reference_value,
        exit_reference_value,
        filter_value,
        stop_candidate,
        '{{ columns.labels }}' as indicator_labels,
        {{ param_set.params.max_holding_days }} as max_holding_days,
        {{ rules.is_entry_candidate }} as is_entry_candidate,
        {{ rules.is_exit_candidate }} as is_exit_candidate,
        {{ rules.entry_strength }} as entry_strength,
        {{ rules.exit_strength }} as exit_strength,
        indicators_computed_at,
        {{ run_stamp() }} as computed_at
    from lagged_{{ loop.index }}
    -- The re-read history rows are stored already; a continued group writes only its new days.
    where last_date is null or trade_date > last_date

),
{% endfor %}

final as (
{% for param_set in param_sets %}
    select * from candidates_{{ loop.index }}
    {% if not loop.last %}union all{% endif %}
{%- else %}
    select * from (select cast(null as {{ dbt.type_string() }}) as strategy_id) as no_strategies
    where false
{%- endfor %}

)

select * from final
