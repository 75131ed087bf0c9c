-- Target weights of every declared portfolio (dbt var `portfolios`, docs/PORTFOLIOS.md), one row per
-- (portfolio, trade_date, symbol) that a member holds after the close of trade_date. Weights are
-- decided at the close of D from data up to D: sizing (per member and symbol), the carry between
-- rebalance days, the sum over members per symbol (raw_weight), then the limits in their fixed
-- order (target_weight), each of which only lowers weights, recording every limit that changed a
-- row in clip_reason.
-- Incremental (portfolio_weights.yml): the pre_hook deletes the portfolios to rebuild (declaration
-- changed or removed, a member's positions rewritten, a symbol gone); every other portfolio writes
-- only its days after its last stored day, computed from a bounded read: its holdings from one
-- rebalance period before that day (every carried weight was sized within it), and the prices and
-- sessions the volatility windows of those days need.
{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_replayed_portfolio_weights(ref('positions')) }}",
        **daily_table_config(
            cluster_by=['portfolio_id', 'symbol'],
            unique_key=['portfolio_id', 'trade_date', 'symbol']
        )
    )
}}
{#- A weight limit acts when it is exceeded by more than this: sums of weights that equal a limit
    in exact arithmetic (a member's normalised weights) differ from it by a few ulps. -#}
{%- set rounding = '1e-12' %}
{%- set lookbacks = portfolio_lookbacks() %}
{%- set longest_lookback = lookbacks | max if lookbacks else 1 %}

with

positions as (

    select * from {{ ref('positions') }}

),

indicators as (

    select * from {{ ref('indicators') }}

),

symbol_universe as (

    select * from {{ ref('symbol_universe') }}

),

portfolios as (

    select * from {{ ref('int_portfolios') }}

),

members as (

    select * from {{ ref('int_portfolio_members') }}

),

prices as (

    select * from {{ ref('int_backtest_prices') }}

),

-- Each portfolio's last stored day (after the pre_hook; none on a first build or a rebuild).
stored_ends as (

    {{ portfolio_stored_ends() }}

),

-- Per portfolio: it writes its days after stored_through and reads its holdings from read_from, a
-- day on or before the first session of the rebalance period of its first new day (a month starts
-- at most 30 days before any of its days, a Monday-based week 6), so that every weight carried
-- into a new day was sized on a day read. NULL (everything) for a portfolio not stored.
plans as (

    select
        portfolios.portfolio_id,
        stored_ends.stored_through,
        case
            when stored_ends.stored_through is null then null
            when portfolios.rebalance = 'monthly' then {{ dbt.dateadd('day', -31, 'stored_ends.stored_through') }}
            when portfolios.rebalance = 'weekly' then {{ dbt.dateadd('day', -7, 'stored_ends.stored_through') }}
            else stored_ends.stored_through
        end as read_from
    from portfolios
    left join stored_ends on portfolios.portfolio_id = stored_ends.portfolio_id

),

-- The earliest day any portfolio reads holdings from; NULL (everything) when one is not stored.
read_bounds as (

    select case when count(*) = count(read_from) then min(read_from) end as read_from
    from plans

),

-- The sessions from the (longest lookback + 1)-th session before read_from (NULL: all): the
-- volatility_target window of a day reads its `lookback` sessions, a rebalance flag its previous one.
calendar_bounds as (

    select min(trade_date) as calendar_from
    from (
        select distinct prices.trade_date
        from prices
        cross join read_bounds
        where prices.trade_date < read_bounds.read_from
        order by prices.trade_date desc
        limit {{ longest_lookback + 1 }}
    ) as earlier_sessions

),

calendar as (

    select distinct prices.trade_date
    from prices
    cross join read_bounds
    cross join calendar_bounds
    where
        read_bounds.read_from is null
        or calendar_bounds.calendar_from is null
        or prices.trade_date >= calendar_bounds.calendar_from

),

-- The portfolios' calendar: every session some symbol traded, numbered within the read (only
-- differences of session numbers are used), with whether it is the first session of its week
-- (Monday-based) or month. Both are known at the session's close from past sessions only: a
-- session opens a week (month) when the previous session lies in an earlier week (month). The
-- first session of the data opens both. Weeks are counted from Monday 1970-01-05, months as
-- year * 12 + month: no dialect's week start.
numbered_sessions as (

    select
        trade_date,
        row_number() over (order by trade_date) as session_number,
        lag(trade_date) over (order by trade_date) as previous_session_date
    from calendar

),

sessions as (

    select
        trade_date,
        session_number,
        coalesce(
            floor({{ dbt.datediff("cast('1970-01-05' as date)", 'trade_date', 'day') }} / 7)
            != floor({{ dbt.datediff("cast('1970-01-05' as date)", 'previous_session_date', 'day') }} / 7),
            true
        ) as is_first_session_of_week,
        coalesce(
            extract(year from trade_date) * 12 + extract(month from trade_date)
            != extract(year from previous_session_date) * 12 + extract(month from previous_session_date),
            true
        ) as is_first_session_of_month
    from numbered_sessions

),

-- The price rows read: every session of the calendar, and per symbol its rows from the
-- (longest lookback)-th before its first row on or after read_from (its own trading days), so that
-- its volatility windows on the days read are complete.
symbol_firsts as (

    select
        prices.symbol,
        min(prices.day_number) as first_day_number
    from prices
    cross join read_bounds
    where read_bounds.read_from is null or prices.trade_date >= read_bounds.read_from
    group by prices.symbol

),

returns as (

    select
        prices.symbol,
        prices.trade_date,
        sessions.session_number,
        {{ portfolio_daily_return('prices') }} as daily_return
    from prices
    inner join symbol_firsts on prices.symbol = symbol_firsts.symbol
    left join sessions on prices.trade_date = sessions.trade_date
    cross join read_bounds
    cross join calendar_bounds
    where
        read_bounds.read_from is null
        or calendar_bounds.calendar_from is null
        or prices.trade_date >= calendar_bounds.calendar_from
        or prices.day_number > symbol_firsts.first_day_number - {{ longest_lookback }}

),

return_volatility as (

    {{ portfolio_return_volatility('returns') }}

),

-- Every (portfolio, member, symbol, day) the member holds after the close, with what sizing reads.
-- A rebalance day re-sizes every holding; an entry (the first day of a holding) is sized on its day.
held as (

    select
        members.portfolio_id,
        members.strategy_id,
        members.param_set_id,
        members.member_weight,
        positions.symbol,
        positions.trade_date,
        positions.entry_signal_date,
        positions.close_price,
        portfolios.capital,
        portfolios.declaration_fingerprint,
        plans.stored_through,
        portfolios.sizing_method,
        portfolios.target_volatility,
        portfolios.lookback_days,
        portfolios.risk_per_trade,
        portfolios.atr_multiple,
        sessions.session_number,
        coalesce(symbol_universe.sector, 'Unknown') as sector,
        coalesce(symbol_universe.lot_size, 1) as lot_size,
        return_volatility.return_volatility,
        indicators.atr_14,
        case when portfolios.sizing_method = 'volatility_target' then portfolios.base_method else portfolios.sizing_method end
            as base_method,
        case portfolios.rebalance
            when 'daily' then true
            when 'weekly' then sessions.is_first_session_of_week
            else sessions.is_first_session_of_month
        end
        or positions.trade_date = positions.entry_signal_date as is_sizing_day
    from members
    inner join portfolios on members.portfolio_id = portfolios.portfolio_id
    inner join plans on members.portfolio_id = plans.portfolio_id
    inner join positions
        on
            members.strategy_id = positions.strategy_id
            and members.param_set_id = positions.param_set_id
            and positions.in_position
            and (plans.read_from is null or plans.read_from <= positions.trade_date)
    inner join sessions on positions.trade_date = sessions.trade_date
    left join symbol_universe on positions.symbol = symbol_universe.symbol
    left join return_volatility
        on
            positions.symbol = return_volatility.symbol
            and positions.trade_date = return_volatility.trade_date
            and portfolios.lookback_days = return_volatility.lookback_days
    left join indicators on positions.symbol = indicators.symbol and positions.trade_date = indicators.trade_date

),

-- per (portfolio, member, day): the member's held symbols and the sum of their inverse volatilities
member_days as (

    select
        portfolio_id,
        strategy_id,
        param_set_id,
        trade_date,
        count(*) as held_symbols,
        sum(case when return_volatility > 0 then 1.0 / return_volatility end) as inverse_volatility_sum
    from held
    group by portfolio_id, strategy_id, param_set_id, trade_date

),

-- The weight each method gives a (member, symbol) from the data of the day (0 when its input is
-- missing: a volatility before `lookback` returns, an ATR before its warm-up).
base_weights as (

    select
        held.*,
        case
            when held.base_method = 'equal_weight'
                then held.member_weight / member_days.held_symbols
            when held.base_method = 'inverse_volatility'
                then
                    case
                        when held.return_volatility > 0
                            then held.member_weight * (1.0 / held.return_volatility) / member_days.inverse_volatility_sum
                        else 0
                    end
            when held.base_method = 'atr_risk'
                then
                    case
                        when held.atr_14 > 0
                            then
                                floor(
                                    held.capital * held.member_weight * held.risk_per_trade
                                    / (held.atr_multiple * held.atr_14) / held.lot_size
                                ) * held.lot_size * held.close_price / held.capital
                        else 0
                    end
        end as base_weight
    from held
    inner join member_days
        on
            held.portfolio_id = member_days.portfolio_id
            and held.strategy_id = member_days.strategy_id
            and held.param_set_id = member_days.param_set_id
            and held.trade_date = member_days.trade_date

),

-- volatility_target: the book's base weights per symbol and day ...
target_book as (

    select
        portfolio_id,
        trade_date,
        session_number,
        lookback_days,
        symbol,
        sum(base_weight) as base_weight
    from base_weights
    where sizing_method = 'volatility_target'
    group by portfolio_id, trade_date, session_number, lookback_days, symbol

),

-- ... applied to each of the `lookback` sessions up to the day (offsets 0 .. lookback - 1) ...
session_offsets as (

    select session_number - 1 as session_offset
    from sessions
    where session_number <= {{ longest_lookback }}

),

book_returns as (

    select
        target_book.portfolio_id,
        target_book.trade_date,
        session_offsets.session_offset,
        sum(target_book.base_weight * coalesce(returns.daily_return, 0)) as book_return
    from target_book
    inner join session_offsets on target_book.lookback_days > session_offsets.session_offset
    inner join returns
        on
            target_book.symbol = returns.symbol
            and target_book.session_number - session_offsets.session_offset = returns.session_number
    where target_book.session_number > target_book.lookback_days
    group by target_book.portfolio_id, target_book.trade_date, session_offsets.session_offset

),

-- ... give its predicted annualised volatility: the sample standard deviation of the book's daily
-- returns over the window (a session where no held symbol traded counts as a 0 return), x sqrt(252)
predicted as (

    select
        book_returns.portfolio_id,
        book_returns.trade_date,
        sqrt(
            greatest(
                (
                    sum(book_returns.book_return * book_returns.book_return)
                    - sum(book_returns.book_return) * sum(book_returns.book_return) / max(portfolios.lookback_days)
                ) / (max(portfolios.lookback_days) - 1),
                0
            ) * 252
        ) as predicted_volatility
    from book_returns
    inner join portfolios on book_returns.portfolio_id = portfolios.portfolio_id
    group by book_returns.portfolio_id, book_returns.trade_date

),

sized as (

    select
        base_weights.*,
        case
            when base_weights.sizing_method != 'volatility_target' then base_weights.base_weight
            when predicted.predicted_volatility > 0
                then base_weights.base_weight * base_weights.target_volatility / predicted.predicted_volatility
            else 0
        end as day_weight
    from base_weights
    left join predicted
        on
            base_weights.portfolio_id = predicted.portfolio_id
            and base_weights.trade_date = predicted.trade_date

),

-- Between sizing days a holding keeps the weight of its last sizing day: number the sizing days
-- within the holding (the entry is one), then take the weight of the group's first day.
sizing_groups as (

    select
        *,
        sum(case when is_sizing_day then 1 else 0 end) over (
            partition by portfolio_id, strategy_id, param_set_id, symbol, entry_signal_date
            order by trade_date rows between unbounded preceding and current row
        ) as sizing_number
    from sized

),

member_weights as (

    select
        *,
        first_value(day_weight) over (
            partition by portfolio_id, strategy_id, param_set_id, symbol, entry_signal_date, sizing_number
            order by trade_date rows between unbounded preceding and current row
        ) as member_raw_weight,
        first_value(trade_date) over (
            partition by portfolio_id, strategy_id, param_set_id, symbol, entry_signal_date, sizing_number
            order by trade_date rows between unbounded preceding and current row
        ) as sized_on
    from sizing_groups

),

-- Per symbol the members' weights add up; only the portfolio's new days are written (every step
-- after this one works within a day).
symbol_weights as (

    select
        portfolio_id,
        trade_date,
        symbol,
        sector,
        lot_size,
        max(declaration_fingerprint) as declaration_fingerprint,
        max(capital) as capital,
        max(close_price) as close_price,
        {{ dbt.listagg("strategy_id || '/' || param_set_id", "','", 'order by strategy_id, param_set_id') }} as members,
        min(entry_signal_date) as entry_signal_date,
        max(sized_on) as sized_on,
        sum(member_raw_weight) as raw_weight
    from member_weights
    where stored_through is null or trade_date > stored_through
    group by portfolio_id, trade_date, symbol, sector, lot_size

),

-- Limits, in this order, each only lowering weights. 1. max_positions: the N largest raw weights
-- stay (ties: earlier entry signal, then symbol), the others go to 0.
ranked as (

    select
        symbol_weights.*,
        portfolios.max_positions,
        portfolios.max_symbol_weight,
        portfolios.max_sector_weight,
        portfolios.max_gross_exposure,
        portfolios.min_cash_weight,
        row_number() over (
            partition by symbol_weights.portfolio_id, symbol_weights.trade_date
            order by symbol_weights.raw_weight desc, symbol_weights.entry_signal_date, symbol_weights.symbol
        ) as weight_rank
    from symbol_weights
    inner join portfolios on symbol_weights.portfolio_id = portfolios.portfolio_id

),

-- 2. max_symbol_weight: each weight capped
positions_limited as (

    select
        *,
        case when weight_rank > max_positions then 0 else raw_weight end as positions_weight
    from ranked

),

symbol_limited as (

    select
        *,
        case when positions_weight > max_symbol_weight + {{ rounding }} then max_symbol_weight else positions_weight end as symbol_weight,
        sum(case when positions_weight > max_symbol_weight + {{ rounding }} then max_symbol_weight else positions_weight end) over (
            partition by portfolio_id, trade_date, sector
        ) as sector_total
    from positions_limited

),

-- 3. max_sector_weight: a sector above the cap scaled down proportionally
sector_limited as (

    select
        *,
        sum(sector_weight) over (partition by portfolio_id, trade_date) as gross_total
    from (
        select
            *,
            case
                when sector_total > max_sector_weight + {{ rounding }} then symbol_weight * max_sector_weight / sector_total
                else symbol_weight
            end as sector_weight
        from symbol_limited
    ) as sector_scaled

),

-- 4. max_gross_exposure: the whole book scaled down when its sum is above the cap
gross_limited as (

    select
        *,
        sum(gross_weight) over (partition by portfolio_id, trade_date) as invested_total
    from (
        select
            *,
            case
                when gross_total > max_gross_exposure + {{ rounding }} then sector_weight * max_gross_exposure / gross_total
                else sector_weight
            end as gross_weight
        from sector_limited
    ) as gross_scaled

),

-- 5. min_cash_weight: the whole book scaled down so that its sum is at most 1 - min_cash_weight
cash_limited as (

    select
        *,
        case
            when invested_total > 1 - min_cash_weight + {{ rounding }} then gross_weight * (1 - min_cash_weight) / invested_total
            else gross_weight
        end as target_weight
    from gross_limited

),

final as (

    select
        portfolio_id,
        trade_date,
        symbol,
        sector,
        members,
        entry_signal_date,
        sized_on,
        close_price,
        raw_weight,
        target_weight,
        cast(floor(target_weight * capital / close_price / lot_size) * lot_size as {{ dbt.type_bigint() }}) as shares,
        nullif(
            rtrim(
                concat(
                    case when positions_weight < raw_weight then 'max_positions,' else '' end,
                    case when symbol_weight < positions_weight then 'max_symbol_weight,' else '' end,
                    case when sector_weight < symbol_weight then 'max_sector_weight,' else '' end,
                    case when gross_weight < sector_weight then 'max_gross_exposure,' else '' end,
                    case when target_weight < gross_weight then 'min_cash_weight,' else '' end
                ),
                ','
            ),
            ''
        ) as clip_reason,
        declaration_fingerprint,
        {{ run_stamp() }} as computed_at
    from cash_limited

)

select * from final
