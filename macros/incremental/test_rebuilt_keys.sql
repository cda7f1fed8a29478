{#-
    Data tests of a table kept per key read only the keys whose inputs differ from those
    of the table last published: every other key's rows are the rows that build verified
    (a key's rows depend on its inputs alone, the rules among them). Against the last
    publish, not the last build: a build whose tests failed published nothing, so its keys
    are tested again by the next build, whatever it rebuilds. `--full-refresh`, `dbt test`
    on published tables, Spark and a table without published inputs test every row.

    A test opts in with `config: {meta: {rebuilt_keys_only: <key column>}}`; dbt hands
    every generic test its model through get_where_subquery, overridden here (as dbt's docs
    suggest) to add that condition to the test's own `where`.
-#}
{% macro get_where_subquery(relation) -%}
    {% set conditions = [] %}
    {% if config.get('where') %}
        {% do conditions.append(config.get('where')) %}
    {% endif %}
    {% set key_column = (config.get('meta') or {}).get('rebuilt_keys_only') %}
    {% set rebuilt = keys_rebuilt_since_published(relation, key_column) if key_column else '' %}
    {% if rebuilt %}
        {% do conditions.append(rebuilt) %}
    {% endif %}
    {% if not conditions %}
        {% do return(relation) %}
    {% endif %}
    {% do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') %}
{%- endmacro %}

{#- The condition on key_column that keeps the keys to test, or '' for every row. -#}
{% macro keys_rebuilt_since_published(relation, key_column) %}
    {{ return(adapter.dispatch('keys_rebuilt_since_published', 'stedi')(relation, key_column)) }}
{% endmacro %}

{% macro default__keys_rebuilt_since_published(relation, key_column) %}
    {{ return('') }}
{% endmacro %}

{% macro duckdb__keys_rebuilt_since_published(relation, key_column) %}
    {% if not execute or flags.FULL_REFRESH %}{{ return('') }}{% endif %}
    {% set built_from = key_inputs_relation(relation) %}
    {% set published = key_inputs_relation(
        relation.incorporate(path={'identifier': relation.identifier ~ '__published'})) %}
    {#- from the catalog, not dbt's relation cache: the post-hook wrote the first table -#}
    {% set found = run_query(
        "select count(*) from information_schema.tables
        where table_catalog = " ~ sql_string(relation.database) ~ "
        and table_schema = " ~ sql_string(relation.schema) ~ "
        and table_name in (" ~ sql_string(built_from.identifier) ~ ", " ~ sql_string(published.identifier) ~ ")"
    ).columns[0].values()[0] %}
    {% if found != 2 %}{{ return('') }}{% endif %}
    {{ return(key_column ~ " in (select key from (select key, digest from " ~ built_from
        ~ " except select key, digest from " ~ published ~ "))") }}
{% endmacro %}
