{#-
    Write, audit, publish. `dbt build` writes trusted and curated models into
    <zone>_audit and tests them there. This on-run-end hook publishes them only when the
    invocation built and tested the whole project and all of it passed: a Parquet file per
    table under $STEDI_LAKE/<zone>/<table>/ (written to a temporary file, then renamed),
    then the <zone>.<table> relations in one transaction. Anything less (a failure, `dbt
    run`, `dbt retry`, `--select`) leaves what consumers see unchanged and says why, so they
    never see tables of two builds side by side.
-#}
{% macro publish_verified_zones(results) %}
    {% if not execute %}{{ return('') }}{% endif %}
    {% if flags.WHICH not in ['build', 'run', 'test', 'seed', 'retry'] %}
        {{ return('') }}
    {% endif %}
    {% set reason = unverified_reason(results) %}
    {% if reason %}
        {{ log("Not published: " ~ reason ~ ". Consumers keep the previous tables.", info=True) }}
        {{ return('') }}
    {% endif %}

    {% set publishable = [] %}
    {% for result in results
        if result.node.resource_type == 'model' and result.node.config.schema in audited_zones() %}
        {% do publishable.append(result.node) %}
    {% endfor %}
    {% for node in publishable %}
        {% do adapter.dispatch('publish_parquet', 'stedi')(node) %}
    {% endfor %}
    {% do adapter.dispatch('publish_tables', 'stedi')(publishable) %}
    {% for node in publishable if node.name == 'machine_learning_curated' %}
        {% do adapter.dispatch('publish_handover_file', 'stedi')(node) %}
    {% endfor %}
    {{ log("Published " ~ publishable | length ~ " verified tables to " ~ lake_root(), info=True) }}
    {% if lake_root().startswith('s3://') %}
        {% do register_glue_tables(publishable) %}
    {% endif %}
{% endmacro %}

{#-
    Why this invocation may not publish, or '' when it may: it must be a `dbt build` with no
    selection or exclusion, in which every model, seed and data test of the project (the
    graph) succeeded, and no node (unit tests included) failed.
-#}
{% macro unverified_reason(results) %}
    {% if flags.WHICH != 'build' %}
        {{ return("`dbt " ~ flags.WHICH ~ "` does not build and test the whole project; run dbt build") }}
    {% endif %}
    {% set failed = [] %}
    {% set skipped = [] %}
    {% set passed = [] %}
    {% for result in results %}
        {% if result.status in ['success', 'pass', 'warn'] %}
            {% do passed.append(result.node.unique_id) %}
        {% elif result.status == 'skipped' %}
            {% do skipped.append(result.node.name) %}
        {% else %}
            {% do failed.append(result.node.name ~ ' (' ~ result.status ~ ')') %}
        {% endif %}
    {% endfor %}
    {% if failed or skipped %}
        {{ return("the build did not pass: " ~ (failed | join(', ') or 'nothing failed')
            ~ (', ' ~ skipped | length ~ ' nodes skipped' if skipped else '')) }}
    {% endif %}
    {% set filters = [] %}
    {% for argument in ['select', 'exclude', 'selector', 'resource_types', 'exclude_resource_types'] %}
        {% if invocation_args_dict.get(argument) %}
            {% do filters.append('--' ~ argument | replace('_', '-')) %}
        {% endif %}
    {% endfor %}
    {% set missing = [] %}
    {% for node in graph.nodes.values()
        if node.resource_type in ['model', 'seed', 'test'] and node.unique_id not in passed %}
        {% do missing.append(node.name) %}
    {% endfor %}
    {% if filters or missing %}
        {{ return("this invocation did not build and test "
            ~ (missing | sort | join(', ') | truncate(200) if missing else 'the whole project')
            ~ (' (' ~ filters | join(', ') ~ ')' if filters else '')
            ~ "; run dbt build") }}
    {% endif %}
    {{ return('') }}
{% endmacro %}

{#-
    The build that publishes: dbt's invocation id, the consent policy, the landing location
    and the time the build started (UTC). Each published table carries it: a comment on the
    DuckDB relation, key-value metadata in the Parquet file, parameters of the Glue table.
-#}
{% macro build_record() %}
    {{ return({
        'stedi_build_id': invocation_id,
        'stedi_consent_policy': var('consent_policy'),
        'stedi_landing': landing_root(),
        'stedi_built_at': run_started_at.strftime('%Y-%m-%dT%H:%M:%SZ'),
    }) }}
{% endmacro %}

{#- $STEDI_LAKE/<zone>/<table>, or $STEDI_LAKE/<policy>/<zone>/<table> for a policy other than strict -#}
{#-
    The rows of a relation for readers outside DuckDB: timestamps (the UTC *_at columns)
    as UTC-adjusted instants, so Spark, pyarrow and pandas read the same instant in any
    session time zone (a plain TIMESTAMP is wall-clock time: Spark shifts it by its zone).
-#}
{% macro select_with_instants(relation) %}
    {%- set columns = adapter.get_columns_in_relation(relation) -%}
    select
    {%- for column in columns %}
        {% if column.dtype | upper == 'TIMESTAMP' -%}
            timezone('UTC', {{ adapter.quote(column.name) }}) as {{ adapter.quote(column.name) }}
        {%- else -%}
            {{ adapter.quote(column.name) }}
        {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
    from {{ relation }}
{% endmacro %}

{% macro published_parquet_folder(node) %}
    {% set policy_folder = var('consent_policy') ~ '/' if policy_suffix() else '' %}
    {{ return(lake_root() ~ '/' ~ policy_folder ~ node.config.schema ~ '/' ~ node.alias) }}
{% endmacro %}

{% macro published_relation_name(node) %}
    {{ return(published_schema(node.config.schema) ~ '.' ~ node.alias) }}
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
        copy ({{ select_with_instants(api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias)) }})
        to {{ sql_string(folder ~ '/' ~ file_name) }}
        (
            format parquet, compression zstd{{ ', use_tmp_file true' if local }},
            kv_metadata {
                {%- for key, value in build_record().items() %}
                {{ key }}: {{ sql_string(value) }}{{ ',' if not loop.last }}
                {%- endfor %}
            }
        )
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
    only that name, never <table>__published. An incremental table's previous published
    table is kept as <table>__spare, which its next build brings up to date instead of
    rebuilding (blue/green, see rebuild_changed_keys.sql).
-#}
{% macro duckdb__publish_tables(nodes) %}
    {#- the relations consumers see now: views, or tables where an earlier version of the
        project published copies (this query opens the transaction the DDL below runs in) -#}
    {% set published_types = {} %}
    {% set published_schemas = [] %}
    {% for zone in audited_zones() %}{% do published_schemas.append(published_schema(zone)) %}{% endfor %}
    {% set listed = run_query(
        "select table_schema || '.' || table_name, table_type from information_schema.tables
         where table_catalog = current_database() and table_schema in ('"
        ~ published_schemas | join("', '") ~ "')") %}
    {% for name, table_type in listed.rows %}
        {% do published_types.update({name: 'view' if table_type == 'VIEW' else 'table'}) %}
    {% endfor %}
    {% call statement('publish_tables', auto_begin=True) %}
        {% for zone in audited_zones() %}
        create schema if not exists {{ published_schema(zone) }};
        {% endfor %}
        {% for node in nodes %}
            {%- set audit = api.Relation.create(database=node.database, schema=node.schema, identifier=node.alias) %}
            {%- set verified = audit.incorporate(path={'identifier': node.alias ~ '__published'}) %}
            {%- set published = published_relation_name(node) %}
            {%- if node.config.materialized == 'incremental' %}
        {{ keep_as_spare(audit) }}
            {%- else %}
        drop table if exists {{ verified }};
            {%- endif %}
        alter table {{ audit }} rename to {{ adapter.quote(verified.identifier) }};
            {%- if node.config.materialized == 'incremental' %}
        alter table {{ key_inputs_relation(audit) }} rename to {{ adapter.quote(key_inputs_relation(verified).identifier) }};
            {%- endif %}
        create view {{ audit }} as select * from {{ verified }};
            {%- if published in published_types %}
        drop {{ published_types[published] }} {{ published }};
            {%- endif %}
        create view {{ published }} as select * from {{ verified }};
        comment on view {{ published }} is {{ sql_string(tojson(build_record())) }};
        {% endfor %}
    {% endcall %}
    {% do adapter.commit() %}
{% endmacro %}

{#-
    The data scientists' file: machine_learning_curated and its documentation alone in a
    DuckDB file of its own (STEDI_ML_DUCKDB), so it can be handed over without the
    identified tables beside it. Written beside its place and renamed over it.
-#}
{% macro handover_file() %}
    {% set path = env_var('STEDI_ML_DUCKDB', target_default('ml.duckdb')) %}
    {% set suffix = policy_suffix() %}
    {% if suffix and path.endswith('.duckdb') %}
        {{ return(path[:-7] ~ suffix ~ '.duckdb') }}
    {% endif %}
    {{ return(path ~ suffix) }}
{% endmacro %}

{% macro default__publish_handover_file(node) %}
{% endmacro %}

{% macro duckdb__publish_handover_file(node) %}
    {% set path = handover_file() %}
    {% set temporary = path ~ '.tmp' %}
    {% set table = 'stedi_handover.' ~ node.alias %}
    {% set rows = select_with_instants(api.Relation.create(
        database=node.database, schema=published_schema(node.config.schema), identifier=node.alias
    )) %}
    {% call statement('handover_file', auto_begin=True) %}
        select stedi_prepare_file({{ sql_string(temporary) }});
        attach {{ sql_string(temporary) }} as stedi_handover;
        create table {{ table }} as {{ rows }};
        comment on table {{ table }} is {{ sql_string(node.description ~ ' Built by ' ~ tojson(build_record())) }};
        {%- for column in node.columns.values() %}
        comment on column {{ table }}.{{ column.name }} is {{ sql_string(column.description) }};
        {%- endfor %}
    {% endcall %}
    {% do adapter.commit() %}
    {% call statement('handover_file_in_place', auto_begin=False) %}
        detach stedi_handover;
        select stedi_replace_file({{ sql_string(temporary) }}, {{ sql_string(path) }});
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
            create database if not exists {{ published_schema(zone) }}
        {% endcall %}
    {% endfor %}
    {% for node in nodes %}
        {% call statement('publish_drop_' ~ node.alias, auto_begin=False) %}
            drop table if exists {{ published_relation_name(node) }}
        {% endcall %}
        {% call statement('publish_table_' ~ node.alias, auto_begin=False) %}
            create table {{ published_relation_name(node) }}
            using parquet
            location {{ sql_string(spark__location(published_parquet_folder(node))) }}
            tblproperties (
                {%- for key, value in build_record().items() %}
                {{ sql_string(key) }} = {{ sql_string(value) }}{{ ',' if not loop.last }}
                {%- endfor %}
            )
        {% endcall %}
    {% endfor %}
{% endmacro %}
