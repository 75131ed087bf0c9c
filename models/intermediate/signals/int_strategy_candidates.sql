-- One row per (strategy, parameter set, symbol, trading day) of every enabled strategy: the
-- indicator values it compares, whether the day is an entry or exit candidate, and the strength.
-- Candidates are not yet signals: the position state machine (model `positions`) keeps only the
-- entries taken while flat and the exits taken while in a position.
-- The SQL below is generated per parameter set from the dbt var `strategies` at compile time, so
-- window frames carry literal periods and a new instance needs no SQL change.
-- Path-dependent inputs (SuperTrend direction, trailing-stop candidates) come from the
-- path_indicators mart, joined on (symbol, trade_date); only the columns some set uses.
{%- set param_sets = strategy_param_sets(enabled_only=true) %}
{%- set path_columns = [] %}
{%- for param_set in param_sets %}
    {%- set wanted = [strategy_stop_candidate(param_set.params)] %}
    {%- if param_set.strategy_type == 'supertrend_trend' %}
        {%- do wanted.append(strategy_indicator_columns(param_set.strategy_type, param_set.params).indicator_value) %}
    {%- endif %}
    {%- for column in wanted if column != 'null' and column not in path_columns %}
        {%- do path_columns.append(column) %}
    {%- endfor %}
{%- endfor %}

with

indicator_bars as (

    select * from {{ ref('indicators') }}

),

path_indicators as (

    select * from {{ ref('path_indicators') }}

),

indicators as (

    select
        indicator_bars.*
        {%- for column in path_columns %},
        path_indicators.{{ column }}
        {%- endfor %}
    from indicator_bars
    left join path_indicators
        on
            indicator_bars.symbol = path_indicators.symbol
            and indicator_bars.trade_date = path_indicators.trade_date

),
{% for param_set in param_sets %}
{%- set columns = strategy_indicator_columns(param_set.strategy_type, param_set.params) %}
{%- set rules = strategy_rules(param_set.strategy_type) %}

inputs_{{ loop.index }} as (

    select
        symbol,
        trade_date,
        close as close_price,
        cast({{ columns.indicator_value }} as {{ strategy_float_type() }}) as indicator_value,
        cast({{ columns.entry_reference_value }} as {{ strategy_float_type() }}) as entry_reference_value,
        cast({{ columns.exit_reference_value }} as {{ strategy_float_type() }}) as exit_reference_value,
        cast({{ columns.filter_value }} as {{ strategy_float_type() }}) as filter_value,
        cast({{ strategy_stop_candidate(param_set.params) }} as {{ strategy_float_type() }}) as stop_candidate
    from indicators

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
        {{ rules.exit_strength }} as exit_strength
    from lagged_{{ loop.index }}

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
