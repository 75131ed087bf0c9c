-- noqa: disable=LT02
-- (sqlfluff cannot follow the indentation of join conditions inside Jinja conditionals.)
-- Walk-forward folds of the ML signal (issue 17), one row per fold: each calendar month of the data
-- after ml_min_training_years of history is one test period (monthly retraining), trained on the
-- sessions from train_start to train_end. Sessions are the trade dates of ml_market_features.
--   * train_end: the session E + 1 sessions before test_start, E = embargo_sessions (var
--     ml_embargo_sessions, at least the label horizon N): its label is known at session
--     train_end + N, before test_start, so no training label overlaps the test period (purging),
--     and E - N more sessions lie between (embargo);
--   * train_start: the first session (ml_training_window: expanding), or the first session on or
--     after test_start minus ml_rolling_training_years (rolling).
-- The training rows of a fold are the ml_labels rows dated train_start..train_end; every one has
-- known_from_date < test_start (tests/dbt/assert_ml_folds_are_purged.sql). The month in progress
-- is a fold whose test_end is the last session so far. A table: one row per month, read from the
-- one row per session of ml_market_features.
{%- set embargo = ml_embargo_sessions() %}
{%- set window = ml_training_window() %}
{%- set min_years = var('ml_min_training_years', 2) | int %}
{%- set rolling_years = var('ml_rolling_training_years', 2) | int %}

with

sessions as (

    select
        trade_date,
        session_index
    from {{ ref('ml_market_features') }}

),

data_start as (

    select min(trade_date) as first_session from sessions

),

session_months as (

    select
        *,
        {{ dbt.date_trunc('month', 'trade_date') }} as test_month
    from sessions

),

months as (

    select
        test_month,
        min(trade_date) as test_start,
        max(trade_date) as test_end,
        min(session_index) as test_start_index
    from session_months
    group by test_month

),

eligible_months as (

    select months.*
    from months
    cross join data_start
    where months.test_start >= cast({{ dbt.dateadd('year', min_years, 'data_start.first_session') }} as date)

),

-- the first session of the training window: the data's first (expanding), or the first on or
-- after test_start minus ml_rolling_training_years (rolling)
folds as (

    select
        eligible_months.test_start,
        eligible_months.test_end,
        train_end_session.trade_date as train_end,
        min(window_sessions.trade_date) as train_start
    from eligible_months
    cross join data_start
    inner join sessions as train_end_session
        on eligible_months.test_start_index - {{ embargo + 1 }} = train_end_session.session_index
    inner join sessions as window_sessions
        on
            {%- if window == 'rolling' %}
            cast({{ dbt.dateadd('year', -rolling_years, 'eligible_months.test_start') }} as date) <= window_sessions.trade_date
            {%- else %}
            data_start.first_session <= window_sessions.trade_date
            {%- endif %}
            and train_end_session.trade_date >= window_sessions.trade_date
    group by eligible_months.test_start, eligible_months.test_end, train_end_session.trade_date

),

final as (

    select
        cast(
            extract(year from test_start) * 100 + extract(month from test_start)
            as {{ dbt.type_bigint() }}
        ) as fold_id,
        train_start,
        train_end,
        cast({{ embargo }} as {{ dbt.type_bigint() }}) as embargo_sessions,
        cast({{ ml_label_horizon() }} as {{ dbt.type_bigint() }}) as label_horizon_sessions,
        test_start,
        test_end,
        '{{ window }}' as training_window
    from folds

)

select * from final
