-- Surfaces data-quality findings as a dbt warning (never an error): each returned row is one finding.
{{ config(severity='warn') }}

select
    warning_type,
    symbol,
    trade_date,
    detail
from {{ ref('data_quality_warnings') }}
