{#-
    Creates the two source tables when they do not exist yet, so that `dbt build` works on a
    warehouse that was never loaded (it then builds empty marts) and on one loaded only with market
    data (no corporate actions). The loader owns the data; this only guarantees the shape.
    Numbers are stored as loaded (volume too is a double) so that staging can reject an
    infinite, NaN or out-of-range value with a reason (typed_market_data).
    BigQuery: monthly partitions keep 20+ years of daily data under the 4,000-partition limit.
-#}
{% macro create_source_tables() -%}
    {{ return(adapter.dispatch('create_source_tables', 'strategy_engine')()) }}
{%- endmacro %}

{% macro default__create_source_tables() -%}
    {%- set database = target.database -%}
    create schema if not exists {{ source_schema() }};
    create table if not exists {{ source_schema() }}.market_data (
        symbol varchar,
        trade_date date,
        open double,
        high double,
        low double,
        close double,
        volume double,
        value double,
        trades bigint,
        series varchar,
        exchange varchar,
        source_file varchar,
        loaded_at timestamp
    );
    create table if not exists {{ source_schema() }}.corporate_actions (
        symbol varchar,
        ex_date date,
        action varchar,
        ratio_from double,
        ratio_to double,
        price_factor double,
        source_file varchar,
        loaded_at timestamp
    );
{%- endmacro %}

{% macro bigquery__create_source_tables() -%}
    create schema if not exists `{{ target.project }}`.{{ source_schema() }}
        options (location = '{{ target.location }}');
    create table if not exists `{{ target.project }}`.{{ source_schema() }}.market_data (
        symbol string not null,
        trade_date date not null,
        open float64,
        high float64,
        low float64,
        close float64,
        volume float64,
        value float64,
        trades int64,
        series string,
        exchange string,
        source_file string,
        loaded_at timestamp
    )
    partition by date_trunc(trade_date, month)
    cluster by symbol
    options (description = 'End-of-day prices as loaded, unadjusted; one row per (symbol, trade_date).');
    create table if not exists `{{ target.project }}`.{{ source_schema() }}.corporate_actions (
        symbol string not null,
        ex_date date not null,
        action string,
        ratio_from float64,
        ratio_to float64,
        price_factor float64,
        source_file string,
        loaded_at timestamp
    )
    options (description = 'Splits and bonus issues; price_factor scales pre-ex-date prices.');
{%- endmacro %}
