-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#-
    delete_replayed_portfolio_weights(positions): the pre_hook of the incremental mart
    portfolio_weights. It deletes every stored row of each portfolio that must be
    rebuilt from its first day, so that the select computes it as new:

        rebuild portfolio p  <=>  p is not declared any more, or its stored declaration_fingerprint
                                  differs from the declared one (portfolio_fingerprint: a member,
                                  weight, sizing setting, limit, capital or rebalance changed), or p
                                  has no watermark
                              or  a positions row of one of p's members dated on or before p's last
                                  stored day has computed_at newer than p's watermark (the newest
                                  computed_at of p's rows: a member's history was rewritten after a
                                  late corporate action, corrected price, late day)
                              or  a symbol p stored has no positions row of any member any more
                                  (the symbol left the data)

    A plain daily run adds positions rows after every stored day only, so nothing is rebuilt. The
    newer positions rows are looked for only among those newer than the oldest watermark (in a
    daily run the rows written since; DuckDB skips older row groups by their computed_at range).
    The declarations and members are read from the var (portfolio_definitions, as literals: the
    models int_portfolios and int_portfolio_members are ephemeral, which a hook cannot select
    from). The portfolios are looked up first (run_query) and deleted by their literal ids; the hook
    renders nothing when there are none. Does nothing unless the run is incremental.
-#}
{% macro delete_replayed_portfolio_weights(positions) %}
    {%- if not is_incremental() -%}
        {{ return('') }}
    {%- endif -%}
    {%- set definitions = portfolio_definitions() -%}
    {%- set replayed -%}
        with declared as (
            {%- for portfolio in definitions %}
            select
                '{{ portfolio.portfolio_id }}' as portfolio_id,
                '{{ portfolio_fingerprint(portfolio) }}' as declaration_fingerprint
            {%- if not loop.last %}
            union all
            {%- endif %}
            {%- else %}
            select
                cast(null as {{ dbt.type_string() }}) as portfolio_id,
                cast(null as {{ dbt.type_string() }}) as declaration_fingerprint
            where false
            {%- endfor %}
        ),

        members as (
            {%- for portfolio in definitions %}
            {%- set outer = loop %}
            {%- for member in portfolio.members %}
            select
                '{{ portfolio.portfolio_id }}' as portfolio_id,
                '{{ member.strategy_id }}' as strategy_id,
                '{{ member.param_set_id }}' as param_set_id
            {%- if not (loop.last and outer.last) %}
            union all
            {%- endif %}
            {%- endfor %}
            {%- else %}
            select
                cast(null as {{ dbt.type_string() }}) as portfolio_id,
                cast(null as {{ dbt.type_string() }}) as strategy_id,
                cast(null as {{ dbt.type_string() }}) as param_set_id
            where false
            {%- endfor %}
        ),

        stored as (
            select
                portfolio_id,
                min(declaration_fingerprint) as first_fingerprint,
                max(declaration_fingerprint) as last_fingerprint,
                max(trade_date) as last_date,
                max(computed_at) as watermark
            from {{ this }}
            group by portfolio_id
        )

        select stored.portfolio_id
        from stored
        left join declared
            on
                stored.portfolio_id = declared.portfolio_id
                and stored.last_fingerprint = declared.declaration_fingerprint
        where
            declared.portfolio_id is null
            or stored.first_fingerprint != stored.last_fingerprint
            or stored.watermark is null
        union all
        select stored.portfolio_id
        from stored
        inner join members on stored.portfolio_id = members.portfolio_id
        inner join (
            select
                strategy_id,
                param_set_id,
                trade_date,
                computed_at
            from {{ positions }}
            where computed_at > (select min(stored.watermark) from stored)
        ) as rewritten
            on
                members.strategy_id = rewritten.strategy_id
                and members.param_set_id = rewritten.param_set_id
                and rewritten.trade_date <= stored.last_date
                and rewritten.computed_at > stored.watermark
        union all
        select held.portfolio_id
        from (
            select distinct
                portfolio_id,
                symbol
            from {{ this }}
        ) as held
        left join (
            select distinct
                members.portfolio_id,
                positions.symbol
            from {{ positions }} as positions
            inner join members
                on
                    positions.strategy_id = members.strategy_id
                    and positions.param_set_id = members.param_set_id
        ) as present
            on
                held.portfolio_id = present.portfolio_id
                and held.symbol = present.symbol
        where present.symbol is null
    {%- endset -%}
    {%- set found = run_query('select distinct portfolio_id from (' ~ replayed ~ ') as replayed') if execute else none -%}
    {%- set ids = found.columns[0].values() if found is not none else none -%}
    {%- if ids is not none and ids | length == 0 -%}
        {{ return('') }}
    {%- endif -%}
    delete from {{ this }}
    where portfolio_id in (
    {%- if ids is not none %}
        {%- for id in ids %}
        '{{ id }}'{% if not loop.last %},{% endif %}
        {%- endfor %}
    {%- else %}
        {{ replayed }}
    {%- endif %}
    )
{% endmacro %}

{#- portfolio_fingerprint(portfolio): md5 of one validated declaration (an item of
    portfolio_definitions(): every setting, the members with their resolved param_set_id), the
    declaration_fingerprint int_portfolios shows and portfolio_weights stores. -#}
{% macro portfolio_fingerprint(portfolio) -%}
    {{ return(local_md5(tojson(portfolio, sort_keys=true))) }}
{%- endmacro %}
