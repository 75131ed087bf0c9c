-- Embargo: at least embargo_sessions sessions (ml_market_features) lie strictly between a fold's
-- train_end and its test_start, embargo_sessions is at least the label horizon (the var
-- ml_label_horizon), training ends before testing starts and the test months do not overlap.
-- Returns the offending folds.
with

folds as (

    select * from {{ ref('ml_folds') }}

),

sessions as (

    select * from {{ ref('ml_market_features') }}

),

gaps as (

    select
        folds.fold_id,
        count(sessions.trade_date) as sessions_between
    from folds
    left join sessions
        on
            folds.train_end < sessions.trade_date
            and folds.test_start > sessions.trade_date
    group by folds.fold_id

),

ordered as (

    select
        *,
        lag(test_end) over (order by test_start) as previous_test_end
    from folds

),

final as (

    select
        ordered.fold_id,
        ordered.train_start,
        ordered.train_end,
        ordered.test_start,
        ordered.test_end,
        ordered.embargo_sessions,
        gaps.sessions_between
    from ordered
    inner join gaps on ordered.fold_id = gaps.fold_id
    where
        gaps.sessions_between < ordered.embargo_sessions
        or ordered.embargo_sessions < {{ ml_label_horizon() }}
        or ordered.label_horizon_sessions != {{ ml_label_horizon() }}
        or ordered.train_start > ordered.train_end
        or ordered.train_end >= ordered.test_start
        or ordered.test_start > ordered.test_end
        or ordered.previous_test_end >= ordered.test_start

)

select * from final
