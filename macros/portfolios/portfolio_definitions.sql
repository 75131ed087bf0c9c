{#-
    portfolio_definitions(): the portfolios declared in the dbt var `portfolios` (docs/PORTFOLIOS.md),
    validated and completed with defaults, at compile time. A problem fails compilation with a
    message naming the portfolio and the key.

    Each declared portfolio has:
      id         unique name
      capital    INR, > 0 (shares and atr_risk sizes are computed from it)
      rebalance  daily | weekly | monthly
      members    non-empty list of {strategy_id, param_set_id (optional), weight >= 0}; the strategy
                 must be declared and enabled in the var `strategies`; param_set_id must be one of
                 its parameter sets, and may be omitted only when it has exactly one
      sizing     {method, ...}: equal_weight; inverse_volatility {lookback: 60};
                 volatility_target {target, lookback: 60, base: inverse_volatility | equal_weight};
                 atr_risk {risk_per_trade, atr_multiple: 2}
      limits     optional: max_positions (integer >= 1), max_symbol_weight, max_sector_weight,
                 max_gross_exposure (> 0), min_cash_weight (0 <= c < 1). volatility_target needs
                 max_gross_exposure: it caps the leverage.

    Only when dbt executes (compiles a model or test it runs): dbt parses every model whatever a
    command selects, and a build that selects no portfolio model (e.g. `+signals` with other
    strategies declared) must not fail on the portfolios. At parse time it returns no portfolio.

    resolve_members=false skips checking members against the var `strategies` (members then keep
    their declared param_set_id, possibly none): for the limit data tests, whose compilation context
    does not see the strategy type macros; the models read the same var with the full check.

    Returns a list of dicts, one per portfolio: portfolio_id, capital, rebalance, sizing_method,
    lookback_days, target_volatility, base_method, risk_per_trade, atr_multiple, the five limits
    (none when not set) and members (a list of {strategy_id, param_set_id, weight}). A setting
    that does not apply to the method is none.
-#}
{% macro portfolio_definitions(resolve_members=true) %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set declared = var('portfolios', []) -%}
    {%- if declared is string -%}
        {#- sqlfluff renders var() as a placeholder string: lint against no portfolio. -#}
        {%- set declared = [] -%}
    {%- endif -%}
    {%- set methods = {
        'equal_weight': {},
        'inverse_volatility': {'lookback': 60},
        'volatility_target': {'target': none, 'lookback': 60, 'base': 'inverse_volatility'},
        'atr_risk': {'risk_per_trade': none, 'atr_multiple': 2},
    } -%}
    {%- set limit_names = ['max_positions', 'max_symbol_weight', 'max_sector_weight', 'max_gross_exposure', 'min_cash_weight'] -%}
    {%- set param_sets = strategy_param_sets() if resolve_members else none -%}
    {%- set definitions = [] -%}
    {%- set seen_ids = [] -%}
    {%- for portfolio in declared -%}
        {%- set where = "portfolio " ~ (portfolio.get('id') if portfolio is mapping else portfolio) ~ ": " -%}
        {%- if portfolio is not mapping or not portfolio.get('id') -%}
            {%- do exceptions.raise_compiler_error("portfolios: every entry needs an id, got " ~ portfolio) -%}
        {%- endif -%}
        {%- for key in portfolio if key not in ['id', 'capital', 'rebalance', 'members', 'sizing', 'limits'] -%}
            {%- do exceptions.raise_compiler_error(where ~ "unknown key '" ~ key ~ "' (known: id, capital, rebalance, members, sizing, limits)") -%}
        {%- endfor -%}
        {%- if portfolio.id in seen_ids -%}
            {%- do exceptions.raise_compiler_error("portfolio id declared twice: " ~ portfolio.id) -%}
        {%- endif -%}
        {%- do seen_ids.append(portfolio.id) -%}
        {%- set capital = portfolio.get('capital') -%}
        {%- if capital is not number or capital <= 0 -%}
            {%- do exceptions.raise_compiler_error(where ~ "capital must be a positive number of INR, got " ~ capital) -%}
        {%- endif -%}
        {%- set rebalance = portfolio.get('rebalance') -%}
        {%- if rebalance not in ['daily', 'weekly', 'monthly'] -%}
            {%- do exceptions.raise_compiler_error(where ~ "rebalance must be daily, weekly or monthly, got " ~ rebalance) -%}
        {%- endif -%}
        {#- members -#}
        {%- set members = [] -%}
        {%- set member_keys = [] -%}
        {%- if portfolio.get('members') is not iterable or portfolio.get('members') is string or portfolio.get('members') is mapping or not portfolio.get('members') -%}
            {%- do exceptions.raise_compiler_error(where ~ "members must be a non-empty list of {strategy_id, param_set_id, weight}") -%}
        {%- endif -%}
        {%- for member in portfolio.members -%}
            {%- if member is not mapping -%}
                {%- do exceptions.raise_compiler_error(where ~ "a member must be a mapping {strategy_id, param_set_id, weight}, got " ~ member) -%}
            {%- endif -%}
            {%- for key in member if key not in ['strategy_id', 'param_set_id', 'weight'] -%}
                {%- do exceptions.raise_compiler_error(where ~ "unknown member key '" ~ key ~ "' (known: strategy_id, param_set_id, weight)") -%}
            {%- endfor -%}
            {%- set param_set_id = member.get('param_set_id') -%}
            {%- if resolve_members -%}
                {%- set sets = param_sets | selectattr('strategy_id', 'equalto', member.get('strategy_id')) | list -%}
                {%- if not sets -%}
                    {%- do exceptions.raise_compiler_error(where ~ "unknown member strategy '" ~ member.get('strategy_id') ~ "' (the declared strategies: " ~ (param_sets | map(attribute='strategy_id') | unique | join(', ')) ~ ")") -%}
                {%- endif -%}
                {%- if not sets[0].enabled -%}
                    {%- do exceptions.raise_compiler_error(where ~ "member strategy '" ~ member.strategy_id ~ "' is disabled: enable it, or take it out of the portfolio") -%}
                {%- endif -%}
                {%- if param_set_id is none and sets | length > 1 -%}
                    {%- do exceptions.raise_compiler_error(where ~ "strategy " ~ member.strategy_id ~ " has " ~ (sets | length) ~ " parameter sets; name one with param_set_id (" ~ (sets | map(attribute='param_set_id') | join(', ')) ~ ")") -%}
                {%- elif param_set_id is none -%}
                    {%- set param_set_id = sets[0].param_set_id -%}
                {%- elif param_set_id not in (sets | map(attribute='param_set_id') | list) -%}
                    {%- do exceptions.raise_compiler_error(where ~ "strategy " ~ member.strategy_id ~ " has no parameter set " ~ param_set_id ~ " (its sets: " ~ (sets | map(attribute='param_set_id') | join(', ')) ~ ")") -%}
                {%- endif -%}
            {%- endif -%}
            {%- set weight = member.get('weight') -%}
            {%- if weight is not number or weight < 0 -%}
                {%- do exceptions.raise_compiler_error(where ~ "member " ~ member.strategy_id ~ ": weight must be a number >= 0, got " ~ weight) -%}
            {%- endif -%}
            {%- if (member.strategy_id ~ '/' ~ param_set_id) in member_keys -%}
                {%- do exceptions.raise_compiler_error(where ~ "member " ~ member.strategy_id ~ "/" ~ param_set_id ~ " listed twice") -%}
            {%- endif -%}
            {%- do member_keys.append(member.strategy_id ~ '/' ~ param_set_id) -%}
            {%- do members.append({'strategy_id': member.strategy_id, 'param_set_id': param_set_id, 'weight': weight}) -%}
        {%- endfor -%}
        {#- sizing -#}
        {%- set sizing = portfolio.get('sizing') -%}
        {%- if sizing is not mapping or sizing.get('method') not in methods -%}
            {%- do exceptions.raise_compiler_error(where ~ "unknown sizing method '" ~ (sizing.get('method') if sizing is mapping else sizing) ~ "' (known: " ~ (methods | list | join(', ')) ~ ")") -%}
        {%- endif -%}
        {%- set defaults = methods[sizing.method] -%}
        {%- for key in sizing if key != 'method' and key not in defaults -%}
            {%- do exceptions.raise_compiler_error(where ~ "unknown parameter '" ~ key ~ "' for sizing method " ~ sizing.method ~ " (known: " ~ (defaults | list | join(', ') or 'none') ~ ")") -%}
        {%- endfor -%}
        {%- set settings = {} -%}
        {%- for key in defaults -%}
            {%- do settings.update({key: sizing.get(key, defaults[key])}) -%}
        {%- endfor -%}
        {%- if 'lookback' in settings and (settings.lookback is not number or settings.lookback != (settings.lookback | int) or settings.lookback < 2) -%}
            {%- do exceptions.raise_compiler_error(where ~ "lookback must be a whole number of days >= 2, got " ~ settings.lookback) -%}
        {%- endif -%}
        {%- if 'target' in settings and (settings.target is not number or settings.target <= 0) -%}
            {%- do exceptions.raise_compiler_error(where ~ "volatility_target needs target, an annualised volatility > 0 (0.12 = 12%), got " ~ settings.target) -%}
        {%- endif -%}
        {%- if 'base' in settings and settings.base not in ['inverse_volatility', 'equal_weight'] -%}
            {%- do exceptions.raise_compiler_error(where ~ "volatility_target base must be inverse_volatility or equal_weight, got " ~ settings.base) -%}
        {%- endif -%}
        {%- if 'risk_per_trade' in settings and (settings.risk_per_trade is not number or settings.risk_per_trade <= 0 or settings.risk_per_trade > 1) -%}
            {%- do exceptions.raise_compiler_error(where ~ "atr_risk needs risk_per_trade, a fraction of capital in (0, 1], got " ~ settings.risk_per_trade) -%}
        {%- endif -%}
        {%- if 'atr_multiple' in settings and (settings.atr_multiple is not number or settings.atr_multiple <= 0) -%}
            {%- do exceptions.raise_compiler_error(where ~ "atr_multiple must be > 0, got " ~ settings.atr_multiple) -%}
        {%- endif -%}
        {#- limits -#}
        {%- set limits = portfolio.get('limits') or {} -%}
        {%- if limits is not mapping -%}
            {%- do exceptions.raise_compiler_error(where ~ "limits must be a mapping") -%}
        {%- endif -%}
        {%- for key in limits if key not in limit_names -%}
            {%- do exceptions.raise_compiler_error(where ~ "unknown limit '" ~ key ~ "' (known: " ~ (limit_names | join(', ')) ~ ")") -%}
        {%- endfor -%}
        {%- for key in limit_names if limits.get(key) is not none -%}
            {%- set value = limits[key] -%}
            {%- if value is not number
                or (key == 'max_positions' and (value != (value | int) or value < 1))
                or (key == 'min_cash_weight' and (value < 0 or value >= 1))
                or (key not in ['max_positions', 'min_cash_weight'] and value <= 0) -%}
                {%- do exceptions.raise_compiler_error(where ~ "limit " ~ key ~ " out of range: " ~ value ~ " (max_positions a whole number >= 1, min_cash_weight in [0, 1), the others > 0)") -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if sizing.method == 'volatility_target' and limits.get('max_gross_exposure') is none -%}
            {%- do exceptions.raise_compiler_error(where ~ "volatility_target needs limits.max_gross_exposure, the cap on its leverage") -%}
        {%- endif -%}
        {%- do definitions.append({
            'portfolio_id': portfolio.id,
            'capital': capital,
            'rebalance': rebalance,
            'sizing_method': sizing.method,
            'lookback_days': settings.get('lookback'),
            'target_volatility': settings.get('target'),
            'base_method': settings.get('base'),
            'risk_per_trade': settings.get('risk_per_trade'),
            'atr_multiple': settings.get('atr_multiple'),
            'max_positions': limits.get('max_positions'),
            'max_symbol_weight': limits.get('max_symbol_weight'),
            'max_sector_weight': limits.get('max_sector_weight'),
            'max_gross_exposure': limits.get('max_gross_exposure'),
            'min_cash_weight': limits.get('min_cash_weight'),
            'members': members,
        }) -%}
    {%- endfor -%}
    {{ return(definitions) }}
{% endmacro %}
