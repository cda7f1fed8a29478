{#-
    Write, audit, publish. `dbt build` writes trusted and curated models into
    <zone>_audit and tests them there. Only when every node of the invocation
    succeeded does this on-run-end hook publish them: a Parquet file per table under
    $STEDI_LAKE/<zone>/<table>/ (written to a temporary file, then renamed), then the
    <zone>.<table> relations in one transaction. Any failure, or `dbt run` without tests,
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

{#-
    DuckDB publishes without copying: in one transaction (a reader sees all new tables or
    all old ones) each verified audit table is renamed to <table>__published in its audit
    schema, and <zone>.<table> becomes a view over it. A view of the same name stays in the
    audit schema, so `dbt docs` and the next build find the node; a failed build replaces
    only that name, never <table>__published.
-#}
{% macro duckdb__publish_tables(nodes) %}
    {#- the relations consumers see now: views, or tables where an earlier version of the
        project published copies (this query opens the transaction the DDL below runs in) -#}
    {% set published_types = {} %}
    {% set listed = run_query(
        "select table_schema || '.' || table_name, table_type from information_schema.tables
         where table_catalog = current_database() and table_schema in ('"
        ~ audited_zones() | join("', '") ~ "')") %}
    {% for name, table_type in listed.rows %}
        {% do published_types.update({name: 'view' if table_type == 'VIEW' else 'table'}) %}
    {% endfor %}
    {% call statement('publish_tables', auto_begin=True) %}
        {% for zone in audited_zones() %}
        create schema if not exists {{ zone }};
        {% endfor %}
        {% for node in nodes %}
            {%- set audit = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) %}
            {%- set verified = audit.incorporate(path={'identifier': node.alias ~ '__published'}) %}
            {%- set published = node.config.schema ~ '.' ~ node.alias %}
        drop table if exists {{ verified }};
        alter table {{ audit }} rename to {{ adapter.quote(verified.identifier) }};
        create view {{ audit }} as select * from {{ verified }};
            {%- if published in published_types %}
        drop {{ published_types[published] }} {{ published }};
            {%- endif %}
        create view {{ published }} as select * from {{ verified }};
        {% endfor %}
    {% endcall %}
    {% do adapter.commit() %}
{% endmacro %}

{#-
    Spark: each table's folder is overwritten with one Parquet file (plus Spark's _SUCCESS
    marker, written last). Not atomic: Spark empties the folder before it writes, so a reader
    can find it empty for a moment, and a failure part-way leaves it empty or without
    _SUCCESS. The audit tables are untouched either way: `dbt build` again republishes.
-#}
{% macro spark__publish_parquet(node) %}
    {% call statement('publish_parquet_' ~ node.alias, auto_begin=False) %}
        insert overwrite directory {{ sql_string(spark__location(published_parquet_folder(node))) }}
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
