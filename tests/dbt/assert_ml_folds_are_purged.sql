-- Purging: no label a fold trains on is known on or after its test_start. The training rows of a
-- fold are the ml_labels rows dated train_start..train_end; each day's latest known_from_date
-- (and whether any of its labels is not known yet) is compared with the fold's test_start.
-- Returns the offending (fold, day) pairs.
with

folds as (

    select * from {{ ref('ml_folds') }}

),

labels as (

    select * from {{ ref('ml_labels') }}

),

label_days as (

    select
        trade_date,
        max(known_from_date) as latest_known_from_date,
        sum(case when known_from_date is null then 1 else 0 end) as unknown_labels
    from labels
    group by trade_date

),

final as (

    select
        folds.fold_id,
        folds.test_start,
        label_days.trade_date,
        label_days.latest_known_from_date,
        label_days.unknown_labels
    from folds
    inner join label_days
        on folds.train_start <= label_days.trade_date and folds.train_end >= label_days.trade_date
    where
        label_days.latest_known_from_date >= folds.test_start
        or label_days.unknown_labels > 0

)

select * from final
