-- Per (strategy, param set, symbol or '__PORTFOLIO__', calendar year): the power sums of the year's
-- daily returns and the drawdown path of two windows, the calendar year and the full history, in one
-- pass over equity_curve. performance combines these rows into its yearly, ytd and full windows and
-- walk_forward into its in-sample years, so neither cross-joins windows with days: the moments
-- follow from the sums (central moments from power sums), the full window's drawdown and longest
-- underwater spell from the minimum and maximum over its years.
-- Incremental (performance_years.yml): each row also stores the state of both windows at its
-- end_date (full-history day count, log growth, running peak and current underwater run; the year's
-- running peak and current underwater run). The pre_hook deletes the groups that equity_curve
-- replayed or dropped; every other group reads only the equity_curve days after its stored
-- end_date, seeds both windows from its last stored row and merges the new days into that row (same
-- year) or opens new year rows. A first build runs the same SQL with an empty stored state.
{% set daily_risk_free = '(' ~ var('risk_free_rate', 0.0) ~ ' / 252)' %}
{% set group_columns = ['strategy_id', 'param_set_id', 'symbol'] %}
{#- Every equity_curve row a daily run reads (the days after a group's stored end_date, every day of a
    group without stored rows) was written no earlier than the oldest computed_at of the groups' last
    stored rows: equity_curve writes a day once or rewrites the whole group (then the pre_hook below
    deletes the group here), and each invocation's stamp is later than the one before (run_stamp).
    As a literal, the scan skips the older row groups by their computed_at range instead of reading
    and joining the whole history (7M rows at 250 x 10 y). Read before the pre_hook runs, so the
    bound also covers the groups it deletes; no bound offline, on a first build, or when a last row
    has no computed_at. #}
{%- set curve_written_from = none %}
{%- if is_incremental() and execute and var('se_offline_is_incremental', none) is none %}
    {%- set last_rows = last_stored_rows(this, group_columns, 'calendar_year') %}
    {%- set found = run_query('select min(computed_at), count(*) - count(computed_at) from (' ~ last_rows ~ ') as stored') %}
    {%- set oldest, unstamped = found.rows[0][0], found.rows[0][1] %}
    {%- if oldest is not none and unstamped == 0 %}
        {%- set oldest_utc = oldest.astimezone(modules.pytz.utc) if oldest.tzinfo is not none else oldest %}
        {%- set stamp = oldest_utc.strftime('%Y-%m-%d %H:%M:%S.%f') ~ '+00:00' %}
        {%- set curve_written_from = adapter.dispatch('run_stamp', 'strategy_engine')(stamp) %}
    {%- endif %}
{%- endif %}
{{
    config(
        materialized='incremental',
        incremental_strategy=incremental_strategy(),
        unique_key=['strategy_id', 'param_set_id', 'symbol', 'calendar_year'],
        on_schema_change='append_new_columns',
        pre_hook="{{ delete_replayed_groups(ref('equity_curve'), ['strategy_id', 'param_set_id', 'symbol'], ['strategy_id', 'param_set_id', 'symbol'], date_column='end_date') }}",
    )
}}

with

equity_curve as (

    select * from {{ ref('equity_curve') }}
    where {{ every_partition('trade_date') }}{{ ' and computed_at >= ' ~ curve_written_from if curve_written_from is not none else '' }}

),

-- The last stored year row of every group (one all-NULL row on a first build, matching nothing).
stored_last_years as (

    {%- if is_incremental() %}
        {{ last_stored_rows(this, ['strategy_id', 'param_set_id', 'symbol'], 'calendar_year') }}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as strategy_id,
            cast(null as {{ dbt.type_string() }}) as param_set_id,
            cast(null as {{ dbt.type_string() }}) as symbol,
            cast(null as {{ dbt.type_bigint() }}) as calendar_year,
            cast(null as date) as start_date,
            cast(null as date) as end_date,
            cast(null as {{ dbt.type_bigint() }}) as trading_days,
            {%- for column in return_power_sum_columns() if column != 'trading_days' %}
                cast(null as {{ dbt.type_float() }}) as {{ column }},
            {%- endfor %}
            cast(null as {{ dbt.type_float() }}) as year_max_drawdown,
            cast(null as {{ dbt.type_bigint() }}) as year_max_underwater_days,
            cast(null as {{ dbt.type_float() }}) as full_max_drawdown,
            cast(null as {{ dbt.type_bigint() }}) as full_max_underwater_days,
            cast(null as {{ dbt.type_bigint() }}) as full_days_at_end,
            cast(null as {{ dbt.type_float() }}) as full_log_growth_at_end,
            cast(null as {{ dbt.type_float() }}) as full_peak_at_end,
            cast(null as {{ dbt.type_bigint() }}) as full_underwater_days_at_end,
            cast(null as {{ dbt.type_float() }}) as year_peak_at_end,
            cast(null as {{ dbt.type_bigint() }}) as year_underwater_days_at_end
    {%- endif %}

),

-- the days after each group's stored end_date (every day of a group without stored rows)
curve_new_days as (

    select
        equity_curve.strategy_id,
        equity_curve.param_set_id,
        equity_curve.symbol,
        equity_curve.trade_date,
        equity_curve.net_return,
        equity_curve.benchmark_return,
        equity_curve.exposure,
        equity_curve.turnover
    from equity_curve
    left join stored_last_years as stored
        on
            equity_curve.strategy_id = stored.strategy_id
            and equity_curve.param_set_id = stored.param_set_id
            and equity_curve.symbol = stored.symbol
    where stored.end_date is null or equity_curve.trade_date > stored.end_date

),

-- Every group with new days. group_number stands in for the three text keys in every day-level
-- step below (sorts, windows and joins on one integer are far cheaper and carry narrower rows);
-- the year-level steps take the text keys back from here. Numbered over the new days only, so a
-- daily run numbers one day per group, not the stored history.
curve_groups as (

    select
        strategy_id,
        param_set_id,
        symbol,
        row_number() over (order by symbol, strategy_id, param_set_id) as group_number
    from (
        select distinct
            strategy_id,
            param_set_id,
            symbol
        from curve_new_days
    ) as keys

),

new_days as (

    select
        curve_groups.group_number,
        curve_new_days.trade_date,
        extract(year from curve_new_days.trade_date) as calendar_year,
        curve_new_days.net_return,
        curve_new_days.benchmark_return,
        curve_new_days.exposure,
        curve_new_days.turnover
    from curve_new_days
    inner join curve_groups
        on
            curve_new_days.strategy_id = curve_groups.strategy_id
            and curve_new_days.param_set_id = curve_groups.param_set_id
            and curve_new_days.symbol = curve_groups.symbol

),

daily_returns as (

    select
        group_number,
        trade_date,
        calendar_year,
        net_return,
        net_return - {{ daily_risk_free }} as excess_return,
        benchmark_return,
        exposure,
        turnover,
        ln(1.0 + net_return) as log_growth
    from new_days

),

-- the new days' power sums of each year (no window: sums of disjoint days add)
new_year_day_sums as (

    select
        group_number,
        calendar_year,
        min(trade_date) as start_date,
        max(trade_date) as end_date,
        {{ return_power_sums() }}
    from daily_returns
    group by 1, 2

),

new_year_sums as (

    select
        curve_groups.strategy_id,
        curve_groups.param_set_id,
        curve_groups.symbol,
        new_year_day_sums.*
    from new_year_day_sums
    inner join curve_groups on new_year_day_sums.group_number = curve_groups.group_number

),

-- Both windows' equity paths follow from one path per calendar year: the full history's log growth
-- on a day is its log growth before the year plus the year's own so far, its running peak the
-- larger of the peak before the year and the year's running peak shifted by that offset. So every
-- day-level window partitions by year and carries only the log growth (three sorts of the days
-- instead of six, half of them of wider rows), and the full history's offsets are year-level
-- windows over a few rows per group.
-- Here: the new days' log growth and day number so far within their year.
year_paths as (

    select
        group_number,
        calendar_year,
        trade_date,
        sum(log_growth) over (
            partition by group_number, calendar_year
            order by trade_date
            rows between unbounded preceding and current row
        ) as path_log_growth,
        row_number() over (
            partition by group_number, calendar_year
            order by trade_date
        ) as path_day
    from daily_returns

),

-- the running maximum of that log growth (exp is increasing: the running peak in log terms)
year_path_peaks as (

    select
        *,
        max(path_log_growth) over (
            partition by group_number, calendar_year
            order by trade_date
            rows between unbounded preceding and current row
        ) as path_peak_log_growth
    from year_paths

),

-- each year's highest log growth of its new days
year_path_extents as (

    select
        group_number,
        calendar_year,
        max(path_peak_log_growth) as path_peak_log_growth
    from year_path_peaks
    group by 1, 2

),

-- Seeds of both windows: the stored end state, for the year window only on the stored year's days
-- (a later year starts at equity 1); zero / none for a group computed from its first day.
-- A seeded "last day at the peak" is the day number where the stored underwater run began.
year_seeds as (

    select
        new_year_sums.group_number,
        new_year_sums.strategy_id,
        new_year_sums.param_set_id,
        new_year_sums.symbol,
        new_year_sums.calendar_year,
        new_year_sums.trading_days,
        new_year_sums.sum_log_growth,
        year_path_extents.path_peak_log_growth,
        coalesce(stored.full_days_at_end, 0) as full_days_seed,
        coalesce(stored.full_log_growth_at_end, 0.0) as full_log_growth_seed,
        coalesce(stored.full_peak_at_end, 0.0) as full_peak_seed,
        coalesce(stored.full_days_at_end - stored.full_underwater_days_at_end, 0) as full_last_peak_day_seed,
        case
            when new_year_sums.calendar_year = stored.calendar_year then stored.trading_days else 0
        end as year_days_seed,
        case
            when new_year_sums.calendar_year = stored.calendar_year then stored.sum_log_growth else 0.0
        end as year_log_growth_seed,
        case
            when new_year_sums.calendar_year = stored.calendar_year then stored.year_peak_at_end else 0.0
        end as year_peak_seed,
        case
            when new_year_sums.calendar_year = stored.calendar_year
                then stored.trading_days - stored.year_underwater_days_at_end
            else 0
        end as year_last_peak_day_seed
    from new_year_sums
    inner join year_path_extents
        on
            new_year_sums.group_number = year_path_extents.group_number
            and new_year_sums.calendar_year = year_path_extents.calendar_year
    left join stored_last_years as stored
        on
            new_year_sums.strategy_id = stored.strategy_id
            and new_year_sums.param_set_id = stored.param_set_id
            and new_year_sums.symbol = stored.symbol

),

-- the full history's day count and log growth before each year: the seed plus the earlier new years
year_offsets as (

    select
        *,
        full_days_seed + cast(coalesce(sum(trading_days) over (
            partition by strategy_id, param_set_id, symbol
            order by calendar_year
            rows between unbounded preceding and 1 preceding
        ), 0) as {{ dbt.type_bigint() }}) as full_days_before,
        full_log_growth_seed + coalesce(sum(sum_log_growth) over (
            partition by strategy_id, param_set_id, symbol
            order by calendar_year
            rows between unbounded preceding and 1 preceding
        ), 0.0) as full_log_growth_before
    from year_seeds

),

-- the full history's peak equity before each year: the seed or an earlier new year's highest equity
year_starts as (

    select
        *,
        greatest(full_peak_seed, coalesce(max(exp(full_log_growth_before + path_peak_log_growth)) over (
            partition by strategy_id, param_set_id, symbol
            order by calendar_year
            rows between unbounded preceding and 1 preceding
        ), 0.0)) as full_peak_before
    from year_offsets

),

-- both windows' day number, equity and running peak on each new day
equities as (

    select
        year_path_peaks.group_number,
        year_path_peaks.calendar_year,
        year_path_peaks.trade_date,
        year_starts.full_days_before + year_path_peaks.path_day as full_day_number,
        exp(year_starts.full_log_growth_before + year_path_peaks.path_log_growth) as full_equity,
        greatest(
            year_starts.full_peak_before,
            exp(year_starts.full_log_growth_before + year_path_peaks.path_peak_log_growth)
        ) as full_running_peak,
        year_starts.year_days_seed + year_path_peaks.path_day as year_day_number,
        exp(year_starts.year_log_growth_seed + year_path_peaks.path_log_growth) as year_equity,
        greatest(
            year_starts.year_peak_seed,
            exp(year_starts.year_log_growth_seed + year_path_peaks.path_peak_log_growth)
        ) as year_running_peak,
        year_starts.year_last_peak_day_seed
    from year_path_peaks
    inner join year_starts
        on
            year_path_peaks.group_number = year_starts.group_number
            and year_path_peaks.calendar_year = year_starts.calendar_year

),

-- the peak counts from 1: an equity that never rises above its start is under water from day one
drawdowns as (

    select
        group_number,
        calendar_year,
        trade_date,
        full_day_number,
        year_day_number,
        year_last_peak_day_seed,
        full_equity / (case when full_running_peak > 1.0 then full_running_peak else 1.0 end) - 1.0 as full_drawdown,
        year_equity / (case when year_running_peak > 1.0 then year_running_peak else 1.0 end) - 1.0 as year_drawdown
    from equities

),

-- the number of the last day at the peak so far within the year (0 when none yet); is_under_water
-- ignores the rounding of a flat equity. The full window's last peak day before the year comes
-- from the year rows (year_last_peaks): every day number of the year is larger than it.
last_peak_days as (

    select
        *,
        max(
            case when {{ is_under_water('full_drawdown') }} then 0 else full_day_number end
        ) over (
            partition by group_number, calendar_year
            order by trade_date
            rows between unbounded preceding and current row
        ) as full_year_last_peak_day,
        greatest(year_last_peak_day_seed, max(
            case when {{ is_under_water('year_drawdown') }} then 0 else year_day_number end
        ) over (
            partition by group_number, calendar_year
            order by trade_date
            rows between unbounded preceding and current row
        )) as year_last_peak_day
    from drawdowns

),

-- the new days' drawdown extremes of each year. A day's full-window underwater run counts from
-- the year's last peak day so far or, before the year's first one, from the last peak day before
-- the year, known only in year_last_peaks: so this keeps the longest run of the first kind and the
-- latest day of the second.
new_year_paths as (

    select
        group_number,
        calendar_year,
        min(year_drawdown) as year_max_drawdown,
        max(year_day_number - year_last_peak_day) as year_max_underwater_days,
        min(full_drawdown) as full_max_drawdown,
        max(
            case when full_year_last_peak_day > 0 then full_day_number - full_year_last_peak_day end
        ) as full_max_underwater_days_after_peak,
        max(case when full_year_last_peak_day = 0 then full_day_number end) as full_last_day_before_peak,
        max(full_year_last_peak_day) as full_year_last_peak_day,
        max(full_day_number) as full_days_at_end,
        max(year_day_number) - max(year_last_peak_day) as year_underwater_days_at_end
    from last_peak_days
    group by 1, 2

),

-- the full window's last day at the peak before each year: the seed or an earlier new year's last
year_last_peaks as (

    select
        new_year_paths.*,
        -- the running peaks at the year's last new day, from its highest log growth
        greatest(
            year_starts.full_peak_before,
            exp(year_starts.full_log_growth_before + year_starts.path_peak_log_growth)
        ) as full_peak_at_end,
        greatest(
            year_starts.year_peak_seed, exp(year_starts.year_log_growth_seed + year_starts.path_peak_log_growth)
        ) as year_peak_at_end,
        greatest(year_starts.full_last_peak_day_seed, coalesce(max(new_year_paths.full_year_last_peak_day) over (
            partition by new_year_paths.group_number
            order by new_year_paths.calendar_year
            rows between unbounded preceding and 1 preceding
        ), 0)) as full_last_peak_day_before
    from new_year_paths
    inner join year_starts
        on
            new_year_paths.group_number = year_starts.group_number
            and new_year_paths.calendar_year = year_starts.calendar_year

),

-- the new days' part of each year row: their sums and the window state at the year's last new day
new_year_rows as (

    select
        new_year_sums.*,
        year_last_peaks.year_max_drawdown,
        year_last_peaks.year_max_underwater_days,
        year_last_peaks.full_max_drawdown,
        greatest(
            coalesce(year_last_peaks.full_max_underwater_days_after_peak, 0),
            coalesce(year_last_peaks.full_last_day_before_peak - year_last_peaks.full_last_peak_day_before, 0)
        ) as full_max_underwater_days,
        year_last_peaks.full_days_at_end,
        year_last_peaks.full_peak_at_end,
        year_last_peaks.full_days_at_end - case
            when year_last_peaks.full_year_last_peak_day > 0 then year_last_peaks.full_year_last_peak_day
            else year_last_peaks.full_last_peak_day_before
        end as full_underwater_days_at_end,
        year_last_peaks.year_peak_at_end,
        year_last_peaks.year_underwater_days_at_end
    from new_year_sums
    inner join year_last_peaks
        on
            new_year_sums.group_number = year_last_peaks.group_number
            and new_year_sums.calendar_year = year_last_peaks.calendar_year

),

-- the stored year row (same calendar year) plus its new days; sums of disjoint days add
merged as (

    select
        new_year_rows.strategy_id,
        new_year_rows.param_set_id,
        new_year_rows.symbol,
        new_year_rows.calendar_year,
        coalesce(stored.start_date, new_year_rows.start_date) as start_date,
        new_year_rows.end_date,
        {%- for column in return_power_sum_columns() %}
            coalesce(stored.{{ column }}, 0) + new_year_rows.{{ column }} as {{ column }},
        {%- endfor %}
        -- the extremes so far: the stored year's (none in a new year) against the new days'
        {%- for column, extreme in [
            ('year_max_drawdown', 'least'), ('year_max_underwater_days', 'greatest'),
            ('full_max_drawdown', 'least'), ('full_max_underwater_days', 'greatest'),
        ] %}
            {{ extreme }}(
                coalesce(stored.{{ column }}, new_year_rows.{{ column }}), new_year_rows.{{ column }}
            ) as {{ column }},
        {%- endfor %}
        new_year_rows.full_days_at_end,
        -- the full window's log growth at the year end: the stored one plus the new days' so far
        coalesce(group_state.full_log_growth_at_end, 0.0) + sum(new_year_rows.sum_log_growth) over (
            partition by new_year_rows.strategy_id, new_year_rows.param_set_id, new_year_rows.symbol
            order by new_year_rows.calendar_year
            rows between unbounded preceding and current row
        ) as full_log_growth_at_end,
        new_year_rows.full_peak_at_end,
        new_year_rows.full_underwater_days_at_end,
        new_year_rows.year_peak_at_end,
        new_year_rows.year_underwater_days_at_end
    from new_year_rows
    left join stored_last_years as group_state
        on
            new_year_rows.strategy_id = group_state.strategy_id
            and new_year_rows.param_set_id = group_state.param_set_id
            and new_year_rows.symbol = group_state.symbol
    left join stored_last_years as stored
        on
            new_year_rows.strategy_id = stored.strategy_id
            and new_year_rows.param_set_id = stored.param_set_id
            and new_year_rows.symbol = stored.symbol
            and new_year_rows.calendar_year = stored.calendar_year

),

final as (

    select
        strategy_id,
        param_set_id,
        symbol,
        calendar_year,
        start_date,
        end_date,
        {%- for column in return_power_sum_columns() %}
            {{ column }},
        {%- endfor %}
        year_max_drawdown,
        year_max_underwater_days,
        full_max_drawdown,
        full_max_underwater_days,
        full_days_at_end,
        full_log_growth_at_end,
        full_peak_at_end,
        full_underwater_days_at_end,
        year_peak_at_end,
        year_underwater_days_at_end,
        {{ run_stamp() }} as computed_at
    from merged

)

select * from final
