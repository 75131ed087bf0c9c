-- Every input row ends up either staged or rejected: fails when the counts differ.
with

input_rows as (
    select count(*) as n from {{ source('trading_data', 'market_data') }}
),

staged as (
    select count(*) as n from {{ ref('stg_market_data') }}
),

rejected as (
    select count(*) as n from {{ ref('market_data_rejected') }}
),

final as (
    select
        input_rows.n as input_count,
        staged.n as staged_count,
        rejected.n as rejected_count
    from input_rows
    cross join staged
    cross join rejected
    where input_rows.n != staged.n + rejected.n
)

select * from final
