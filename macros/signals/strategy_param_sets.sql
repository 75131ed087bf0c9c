{#-
    strategy_param_sets(): the strategies declared in the dbt var `strategies`, expanded into one
    entry per parameter set, at compile time.

    Each declared strategy has: id, type, enabled (default true), params. params may also hold a
    trailing_stop mapping (strategy_stop_candidate), kept as given. A param given as a list
    is a grid axis; the sets are the cartesian product of all axes (axes taken in key order).
    Every set is merged over the type's defaults (strategy_type(type).defaults, the type's file in
    macros/strategies/), so its parameters are complete, is validated (the type's `problem`, and
    max_holding_days >= 0; a problem fails compilation), and gets
        param_set_id = first 16 hex chars of md5(type || '|' || canonical JSON of the parameters)
    where the canonical JSON has sorted keys and integral numbers written as integers (20.0 -> 20).
    The id depends only on type and parameter values, never on the strategy id or the order of the
    declaration, so it is stable across builds and machines.

    Returns a list of dicts: strategy_id, strategy_type, enabled, param_set_id, params,
    parameters_json.
-#}
{% macro strategy_param_sets(enabled_only=false) %}
    {%- set declared = var('strategies', []) -%}
    {%- if declared is string -%}
        {#- sqlfluff renders var() as a placeholder string: lint against one default strategy per
            discovered type (none under sqlfluff's own templater, which has no dbt context). -#}
        {%- set declared = [] -%}
        {%- for type_name in strategy_type_macros() | sort -%}
            {%- do declared.append({'id': 'lint_' ~ type_name, 'type': type_name}) -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set expanded = [] -%}
    {%- set seen_ids = [] -%}
    {%- for strategy in declared -%}
        {%- if strategy.id in seen_ids -%}
            {%- do exceptions.raise_compiler_error("strategy id declared twice: " ~ strategy.id) -%}
        {%- endif -%}
        {%- do seen_ids.append(strategy.id) -%}
        {%- set defaults = strategy_type(strategy.type).defaults -%}
        {%- set given = strategy.get('params') or {} -%}
        {%- for key in given -%}
            {%- if key not in defaults and key != 'trailing_stop' -%}
                {%- do exceptions.raise_compiler_error("strategy " ~ strategy.id ~ ": unknown parameter '" ~ key ~ "' for type " ~ strategy.type) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set grid = namespace(combos=[{'trailing_stop': given['trailing_stop']}] if 'trailing_stop' in given else [{}]) -%}
        {%- for key in defaults | sort -%}
            {%- set raw = given[key] if key in given else defaults[key] -%}
            {%- set values = raw if (raw is iterable and raw is not string and raw is not mapping) else [raw] -%}
            {%- set grown = [] -%}
            {%- for combo in grid.combos -%}
                {%- for value in values -%}
                    {%- set next_combo = {} -%}
                    {%- do next_combo.update(combo) -%}
                    {%- if value is number and value == (value | int) -%}
                        {%- do next_combo.update({key: value | int}) -%}
                    {%- else -%}
                        {%- do next_combo.update({key: value}) -%}
                    {%- endif -%}
                    {%- do grown.append(next_combo) -%}
                {%- endfor -%}
            {%- endfor -%}
            {%- set grid.combos = grown -%}
        {%- endfor -%}
        {%- set enabled = strategy.get('enabled', true) -%}
        {%- for params in grid.combos -%}
            {%- set problem = strategy_type(strategy.type, params).problem -%}
            {%- if problem is none and params.max_holding_days < 0 -%}
                {%- set problem = 'max_holding_days must be >= 0' -%}
            {%- endif -%}
            {%- if problem is not none -%}
                {%- do exceptions.raise_compiler_error("strategy " ~ strategy.id ~ " " ~ (params | tojson) ~ ": " ~ problem) -%}
            {%- endif -%}
            {%- set canonical = params | tojson -%}
            {%- set fingerprint = strategy.type ~ '|' ~ canonical -%}
            {%- if local_md5 is defined -%}
                {%- set param_set_id = local_md5(fingerprint)[:16] -%}
            {%- else -%}
                {%- set param_set_id = 'lint' ~ loop.index -%}
            {%- endif -%}
            {%- if enabled or not enabled_only -%}
                {%- do expanded.append({
                    'strategy_id': strategy.id,
                    'strategy_type': strategy.type,
                    'enabled': enabled,
                    'param_set_id': param_set_id,
                    'params': params,
                    'parameters_json': canonical,
                }) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ return(expanded) }}
{% endmacro %}
