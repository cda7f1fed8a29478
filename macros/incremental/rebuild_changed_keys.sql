{#-
    Incremental tables. On DuckDB the landing tables are kept per file (landing_ledger.sql)
    and the trusted reading tables per key: a customer (or device) whose inputs changed
    since the table was last built is rebuilt in full, every other key is left as it is.

    A model states what its rows of a key depend on as `key_inputs`: one row per key that
    may have rows, with columns `key` and `digest` (a hash of the key's landing readings,
    its consent date, ...); the project's rules are added to every digest. The table keeps
    the key_inputs it was built from in <table>__key_inputs, written in the transaction
    that writes the table, so a failed or killed build leaves the two in step and the next
    build compares against what the table really holds. A key whose inputs row appeared,
    disappeared or changed is rebuilt: its rows are deleted (pre-hook) and the model's rows
    for it inserted.
-#}

{#- Spark's Parquet tables cannot delete rows: the spark targets rebuild these tables in full. -#}
{% macro incremental_where_supported() %}
    {{ return(adapter.dispatch('incremental_where_supported', 'stedi')()) }}
{% endmacro %}

{% macro default__incremental_where_supported() %}
    {{ return('table') }}
{% endmacro %}

{% macro duckdb__incremental_where_supported() %}
    {{ return('incremental') }}
{% endmacro %}

{#- The key_inputs a table (this model's, by default) was built from, kept beside it. -#}
{% macro key_inputs_relation(table=none) %}
    {% set table = table if table is not none else this %}
    {{ return(table.incorporate(path={'identifier': table.identifier ~ '__key_inputs'})) }}
{% endmacro %}

{#- The previous published table, kept when a build publishes (duckdb__publish_tables). -#}
{% macro spare_relation(table) %}
    {{ return(table.incorporate(path={'identifier': table.identifier ~ '__spare'})) }}
{% endmacro %}

{#-
    Blue/green. Publishing renames the verified table to <table>__published and leaves a
    view in its place; the table it replaces becomes the spare. Publishing SQL for the
    audit table `audit`: the outgoing published table and its key_inputs become the spare.
-#}
{% macro keep_as_spare(audit) %}
    {%- set published = audit.incorporate(path={'identifier': audit.identifier ~ '__published'}) -%}
    {%- set spare = spare_relation(audit) -%}
    drop table if exists {{ spare }};
    drop table if exists {{ key_inputs_relation(spare) }};
    alter table if exists {{ published }} rename to {{ adapter.quote(spare.identifier) }};
    alter table if exists {{ key_inputs_relation(published) }}
        rename to {{ adapter.quote(key_inputs_relation(spare).identifier) }};
{%- endmacro %}

{#-
    At the start of the next build the spare, a build behind the published table, takes
    the place of the view and is brought up to date like any table: its key_inputs say
    what it holds. Through the adapter, so dbt's relation cache sees a table.
-#}
{% macro take_spare_table() %}
    {% set existing = load_relation(this) %}
    {% set spare = load_relation(spare_relation(this)) %}
    {% if existing is none or not existing.is_view or spare is none or should_full_refresh() %}
        {{ return('') }}
    {% endif %}
    {#- each step commits alone; a build killed between them leaves the audit table
        missing or without key_inputs, and the next build rebuilds every key -#}
    {% do adapter.drop_relation(existing) %}
    {% do adapter.rename_relation(spare, this.incorporate(type='table')) %}
    {% set spare_key_inputs = load_relation(key_inputs_relation(spare)) %}
    {% if spare_key_inputs is not none %}
        {% do adapter.rename_relation(spare_key_inputs, key_inputs_relation().incorporate(type='table')) %}
    {% endif %}
{% endmacro %}

{#- This build's key_inputs, and the keys to rebuild: temp tables for the model and its hooks. -#}
{% macro current_key_inputs_table() -%}
    temp.main.{{ this.identifier }}_key_inputs
{%- endmacro %}

{% macro changed_keys_table() -%}
    temp.main.{{ this.identifier }}_changed_keys
{%- endmacro %}

{#-
    Compile time, before the model's SQL runs: this build's key_inputs, and on an
    incremental build the keys whose key_inputs differ from those the table was built from
    (a table without its key_inputs, built by an older version, is rebuilt for every key).
-#}
{% macro prepare_keys_to_rebuild(key_column, key_inputs) %}
    {{ return(adapter.dispatch('prepare_keys_to_rebuild', 'stedi')(key_column, key_inputs)) }}
{% endmacro %}

{% macro default__prepare_keys_to_rebuild(key_column, key_inputs) %}
{% endmacro %}

{% macro duckdb__prepare_keys_to_rebuild(key_column, key_inputs) %}
    {% if not builds_per_key() %}{{ return('') }}{% endif %}
    {% do take_spare_table() %}
    {#- the rules a key was built by are among its inputs: a changed model or macro
        rebuilds every key (stedi_rules_fingerprint, stedi/dbt_plugin.py) -#}
    {% set rules = run_query("select stedi_rules_fingerprint()").columns[0].values()[0] %}
    {% do run_query(
        "create or replace temp table " ~ current_key_inputs_table() ~ " as
        select key, hash(digest, '" ~ rules ~ "') as digest from (" ~ key_inputs ~ ") as key_inputs"
    ) %}
    {% if not is_incremental() %}{{ return('') }}{% endif %}
    {% set built_from = load_relation(key_inputs_relation()) %}
    {% set built_from_sql = built_from if built_from is not none else
        "(select distinct " ~ key_column ~ " as key, null as digest from " ~ this ~ ")" %}
    {% do run_query(
        "create or replace temp table " ~ changed_keys_table() ~ " as
        select key from (
            (select * from " ~ current_key_inputs_table() ~ " except select * from " ~ built_from_sql ~ ")
            union all
            (select * from " ~ built_from_sql ~ " except select * from " ~ current_key_inputs_table() ~ ")
        ) group by key"
    ) %}
    {% set counts = run_query(
        "select (select count(*) from " ~ changed_keys_table() ~ "), (select count(*) from "
        ~ current_key_inputs_table() ~ ")").rows[0] %}
    {{ log(this.identifier ~ ": rebuilding the rows of " ~ counts[0] ~ " changed " ~ key_column
        ~ " values; " ~ counts[1] ~ " in all", info=True) }}
{% endmacro %}

{#-
    For key_inputs: per key, an order-independent digest of its rows in `rows` (a relation,
    or a parenthesised query with an alias), so a row added, removed or changed changes it.
-#}
{% macro digest_per_key(rows, key_column, columns) -%}
    (
        select
            {{ key_column }},
            sum(hash({{ columns | join(', ') }})) as digest
        from {{ rows }}
        group by {{ key_column }}
    )
{%- endmacro %}

{#- The condition on a key column that keeps the keys this build rebuilds ('true': all of them). -#}
{% macro is_rebuilt(key_column) %}
    {{ return(adapter.dispatch('is_rebuilt', 'stedi')(key_column)) }}
{% endmacro %}

{% macro default__is_rebuilt(key_column) %}
    {{ return('true') }}
{% endmacro %}

{% macro duckdb__is_rebuilt(key_column) %}
    {% if not builds_per_key() or not is_incremental() %}
        {{ return('true') }}
    {% endif %}
    {{ return(key_column ~ " in (select key from " ~ changed_keys_table() ~ ")") }}
{% endmacro %}

{#-
    Whether this node builds an incremental table per key: not a table rebuilt in full
    (Spark, or a policy whose rows do not split by key), not a unit test (the model on
    fixtures, no hooks), nor `dbt compile`, `show` or `docs generate`, which render every key.
-#}
{% macro builds_per_key() %}
    {{ return(execute and model.resource_type == 'model' and model.config.materialized == 'incremental'
        and flags.WHICH in ['build', 'run', 'retry']) }}
{% endmacro %}

{#- Pre-hook, in the transaction that inserts the rebuilt keys: their old rows go. -#}
{% macro delete_changed_keys(key_column) %}
    {{ return(adapter.dispatch('delete_changed_keys', 'stedi')(key_column)) }}
{% endmacro %}

{% macro default__delete_changed_keys(key_column) %}
{% endmacro %}

{% macro duckdb__delete_changed_keys(key_column) %}
    {% if is_incremental() %}
    delete from {{ this }}
    where {{ is_rebuilt(key_column) }}
    {% endif %}
{% endmacro %}

{#- Post-hook, in the same transaction: the key_inputs the table now reflects. -#}
{% macro record_key_inputs() %}
    {{ return(adapter.dispatch('record_key_inputs', 'stedi')()) }}
{% endmacro %}

{% macro default__record_key_inputs() %}
{% endmacro %}

{% macro duckdb__record_key_inputs() %}
    {% if builds_per_key() %}
    create or replace table {{ key_inputs_relation() }} as
    select * from {{ current_key_inputs_table() }}
    {% endif %}
{% endmacro %}
