{#-
    portfolio_stored_ends(): each portfolio's last stored day in the incremental model being built
    (portfolio_id, stored_through), read after its pre_hook; on a first build or a full refresh one
    all-NULL row that matches nothing. The portfolio marts write a portfolio's days after it.
-#}
{% macro portfolio_stored_ends() %}
    {%- if is_incremental() %}
        select
            portfolio_id,
            max(trade_date) as stored_through
        from {{ this }}
        group by portfolio_id
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as portfolio_id,
            cast(null as date) as stored_through
    {%- endif %}
{% endmacro %}
