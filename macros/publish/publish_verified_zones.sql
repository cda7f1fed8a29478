{#-
    Write, audit, publish. `dbt build` writes trusted and curated models into
    <zone>_audit and tests them there. Only when every node of the invocation
    succeeded does this on-run-end hook publish them: a Parquet file per table under
    $STEDI_LAKE/<zone>/<table>/ (written to a temporary file, then renamed), then the
    <zone>.<table> tables in one transaction. Any failure, or `dbt run` without tests,
    leaves what consumers see unchanged.
-#}
{% macro publish_verified_zones(results) %}
    {% if not execute %}{{ return('') }}{% endif %}
    {% if flags.WHICH != 'build' %}
        {{ log("Not published: only `dbt build` tests what it publishes.", info=True) }}
        {{ return('') }}
    {% endif %}

    {% set unverified = [] %}
    {% set publishable = [] %}
    {% for result in results %}
        {% if result.status not in ['success', 'pass', 'warn'] %}
            {% do unverified.append(result.node.name ~ ' (' ~ result.status ~ ')') %}
        {% elif result.node.resource_type == 'model' and result.node.config.schema in audited_zones() %}
            {% do publishable.append(result.node) %}
        {% endif %}
    {% endfor %}

    {% if unverified %}
        {{ log("NOT PUBLISHED: the build did not pass, consumers keep the previous tables. Failed: "
               ~ unverified | join(', '), info=True) }}
        {{ return('') }}
    {% endif %}

    {% for node in publishable %}
        {% do adapter.dispatch('publish_parquet', 'stedi')(node) %}
    {% endfor %}
    {% do adapter.dispatch('publish_tables', 'stedi')(publishable) %}
    {{ log("Published " ~ publishable | length ~ " verified tables to " ~ lake_root(), info=True) }}
    {% if lake_root().startswith('s3://') %}
        {% do register_glue_tables(publishable) %}
    {% endif %}
{% endmacro %}

{% macro published_parquet_folder(node) %}
    {{ return(lake_root() ~ '/' ~ node.config.schema ~ '/' ~ node.alias) }}
{% endmacro %}

{#-
    One file per table, replaced whole: locally written to a temporary file and renamed;
    on S3 one PUT (or multipart upload) that becomes visible only when complete. Then any
    other file in the table's folder or prefix is removed, so readers of the folder see
    exactly the published table.
-#}
{% macro duckdb__publish_parquet(node) %}
    {% set folder = published_parquet_folder(node) %}
    {% set file_name = node.alias ~ '.parquet' %}
    {% set local = not folder.startswith('s3://') %}
    {% call statement('ensure_folder_' ~ node.alias, auto_begin=False) %}
        select stedi_ensure_folder({{ sql_string(folder) }})
    {% endcall %}
    {% call statement('publish_parquet_' ~ node.alias, auto_begin=False) %}
        copy (select * from {{ node.relation_name }})
        to {{ sql_string(folder ~ '/' ~ file_name) }}
        (format parquet, compression zstd{{ ', use_tmp_file true' if local }})
    {% endcall %}
    {% call statement('prune_folder_' ~ node.alias, auto_begin=False) %}
        select stedi_prune_folder({{ sql_string(folder) }}, {{ sql_string(file_name) }})
    {% endcall %}
{% endmacro %}

{% macro duckdb__publish_tables(nodes) %}
    {#- one transaction: a reader sees all new tables or all old ones -#}
    {% call statement('publish_tables', auto_begin=False) %}
        begin transaction;
        {% for zone in audited_zones() %}
        create schema if not exists {{ zone }};
        {% endfor %}
        {% for node in nodes %}
        create or replace table {{ node.config.schema }}.{{ node.alias }} as
        select * from {{ node.relation_name }};
        {% endfor %}
        commit;
    {% endcall %}
{% endmacro %}

{#-
    Spark: each table's folder is overwritten with one Parquet file (plus Spark's _SUCCESS
    marker, written last). Not atomic: Spark empties the folder before it writes, so a reader
    can find it empty for a moment, and a failure part-way leaves it empty or without
    _SUCCESS. The audit tables are untouched either way: `dbt build` again republishes.
-#}
{% macro spark__publish_parquet(node) %}
    {% call statement('publish_parquet_' ~ node.alias, auto_begin=False) %}
        insert overwrite directory {{ sql_string(published_parquet_folder(node)) }}
        using parquet
        options (compression 'zstd')
        select /*+ coalesce(1) */ * from {{ node.relation_name }}
    {% endcall %}
{% endmacro %}

{#-
    Spark: <zone>.<table> are external tables over the published folders, so the tables and
    the Parquet are the same data. Each is replaced on its own (drop, then create): not one
    transaction.
-#}
{% macro spark__publish_tables(nodes) %}
    {% for zone in audited_zones() %}
        {% call statement('publish_schema_' ~ zone, auto_begin=False) %}
            create database if not exists {{ zone }}
        {% endcall %}
    {% endfor %}
    {% for node in nodes %}
        {% call statement('publish_drop_' ~ node.alias, auto_begin=False) %}
            drop table if exists {{ node.config.schema }}.{{ node.alias }}
        {% endcall %}
        {% call statement('publish_table_' ~ node.alias, auto_begin=False) %}
            create table {{ node.config.schema }}.{{ node.alias }}
            using parquet
            location {{ sql_string(spark__location(published_parquet_folder(node))) }}
        {% endcall %}
    {% endfor %}
{% endmacro %}
