-- noqa: disable=LT02
-- (sqlfluff mis-reads the indentation of SQL generated inside this Jinja-only macro.)
{#-
    left_out_row_checks(): the not_null, unique, unique_combination and all_finite tests that this dbt
    invocation left out (the daily job runs `--exclude test_name:not_null ...`), run together as
    one query instead of one query per column. A left-out test is checked here when the node it
    tests was built by this invocation (or, for a source, is read directly by a node that was),
    with the test's own `where` (so __rows_of_this_run__ keeps it to the rows this run wrote;
    macros/warehouse/get_where_subquery.sql). Each test stays declared once, on its column in the
    model's YAML; a full build selects every test itself and this query then checks nothing.
    Each check runs the test's own SQL and counts its rows, the count dbt would fail the test with.
    Returns one row per failing check: tested node, check, columns and that count.
    Only tests of severity error are included (a warning must not fail the build). A model with
    meta `checked_on_daily_runs: false` (a view no daily run reads) is left to full builds.
-#}
{% macro left_out_row_checks() -%}
    {%- set checks = [] -%}
    {%- if execute -%}
        {%- set built = selected_resources | list -%}
        {%- set read_sources = [] -%}
        {%- for node_id in built if node_id in graph.nodes -%}
            {%- for parent in graph.nodes[node_id].depends_on.nodes if parent.startswith('source.') -%}
                {%- do read_sources.append(parent) -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for test in graph.nodes.values()
            if test.resource_type == 'test'
            and test.test_metadata
            and test.test_metadata.name in ['not_null', 'unique', 'unique_combination', 'all_finite']
            and test.unique_id not in built
            and (test.config.severity | lower) == 'error' -%}
            {%- set tested_id = test.attached_node or (test.depends_on.nodes | first) -%}
            {%- set tested = graph.nodes.get(tested_id) or graph.sources.get(tested_id) -%}
            {%- set is_built = tested_id in built or tested_id in read_sources -%}
            {%- set meta = (tested.config.meta or {}) if tested is not none else {} -%}
            {%- set checked_daily = tested is not none and meta.get('checked_on_daily_runs', true) -%}
            {%- if checked_daily and is_built and tested.config.materialized != 'ephemeral' -%}
                {%- set relation = api.Relation.create(
                    database=tested.database, schema=tested.schema,
                    identifier=tested.identifier if tested.resource_type == 'source' else tested.alias) -%}
                {%- set rows = tested_rows(relation, tested, test.config.where or '') -%}
                {#- The test's own SQL (dbt's not_null and unique, this project's unique_combination)
                    on the same rows; its row count is the test's failure count. -#}
                {%- if test.test_metadata.name == 'all_finite' -%}
                    {%- set columns = 'float columns' -%}
                    {%- set test_sql = non_finite_values(
                        rows, tested, test.test_metadata.kwargs.get('except_columns', [])) -%}
                {%- elif test.test_metadata.name == 'unique_combination' -%}
                    {%- set columns = quoted_columns(test.test_metadata.kwargs.columns) -%}
                    {%- set test_sql = test_unique_combination(rows, test.test_metadata.kwargs.columns) -%}
                {%- elif test.test_metadata.name == 'unique' -%}
                    {%- set columns = test.column_name -%}
                    {%- set test_sql = adapter.dispatch('test_unique', 'dbt')(rows, columns) -%}
                {%- else -%}
                    {%- set columns = test.column_name -%}
                    {%- set test_sql = adapter.dispatch('test_not_null', 'dbt')(rows, columns) -%}
                {%- endif -%}
                {%- set failing = 'select count(*) from (' ~ test_sql ~ ') as test_rows' -%}
                {%- do checks.append({
                    'tested_node': tested_id, 'check': test.test_metadata.name,
                    'columns': columns, 'failing': failing}) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif %}
with

checks as (

    select
        'none' as tested_node,
        'none' as check_name,
        'none' as checked_columns,
        0 as failing_rows
    {%- for check in checks %}
    union all
    select
        '{{ check.tested_node }}' as tested_node,
        '{{ check.check }}' as check_name,
        '{{ check.columns | replace("'", "") }}' as checked_columns,
        ({{ check.failing }}) as failing_rows
    {%- endfor %}

),

final as (

    select * from checks
    where failing_rows > 0

)

select * from final
{%- endmacro %}
