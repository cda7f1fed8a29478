{#-
    Each landing file is parsed once. The *_landing_checked tables are the ledger: every
    line carries the size and modification time its file had when the line was read
    (file_bytes, file_modified_ms). A build lists the files (landing_file_listing), reads
    only those whose (path, size, modification time) no numbered line holds yet, and first
    deletes the lines of files that changed or disappeared (delete_stale_landing_lines, in
    the transaction that inserts the new lines). Lines are numbered last, in the one
    transaction of the post-hooks that also quarantines: a line without a number belongs
    to a build that did not finish, and its file is read again.
-#}

{#- The landing files of a source as this build finds them, listed without reading them. -#}
{% macro landing_file_listing(source_name) %}
    select
        filename as source_file,
        size as file_bytes,
        epoch_ms(last_modified) as file_modified_ms
    from read_blob({{ sql_string(landing_root() ~ '/' ~ source_name ~ '/*.json*') }})
{% endmacro %}

{#- The temp table that holds this build's listing, for the model and its post-hooks. -#}
{% macro landing_listing_table(source_name) -%}
    temp.main.landing_{{ source_name }}_listing
{%- endmacro %}

{#- This build's files of a source that a *_landing_checked model reads, with their stamps. -#}
{% macro landing_files_read_table(source_name) -%}
    temp.main.landing_{{ source_name }}_files_read
{%- endmacro %}

{#-
    The files a *_landing_checked model reads in this build: every file on a full build;
    otherwise those that no complete line holds with the stamp they have now. Lists them
    into landing_listing_table and landing_files_read_table (for the hooks) and returns the
    condition on the reader's `filename` column: a literal list, so DuckDB opens no other file.
-#}
{% macro landing_files_to_read(source_name) %}
    {{ return(adapter.dispatch('landing_files_to_read', 'stedi')(source_name)) }}
{% endmacro %}

{% macro default__landing_files_to_read(source_name) %}
    {{ return('true') }}
{% endmacro %}

{#- Outside a model (the erasure run-operation checks landing lines too) there is no ledger. -#}
{% macro landing_ledger_applies() %}
    {{ return(execute and this is defined and this is not none) }}
{% endmacro %}

{% macro duckdb__landing_files_to_read(source_name) %}
    {% if not landing_ledger_applies() %}{{ return('true') }}{% endif %}
    {% set held %}
        select source_file, file_bytes, file_modified_ms
        from {{ this }}
        group by all
        having count(line_number) = count(*)
    {% endset %}
    {% if is_incremental() %}
        {% set stamped = adapter.get_columns_in_relation(this) | map(attribute='name') | list %}
        {% if 'file_bytes' not in stamped %}
            {{ exceptions.raise_compiler_error(
                this ~ " was built before landing files were tracked: run `dbt build --full-refresh` once"
            ) }}
        {% endif %}
    {% endif %}
    {% do run_query(
        "create or replace temp table " ~ landing_listing_table(source_name) ~ " as "
        ~ landing_file_listing(source_name) ~ ";
        create or replace temp table " ~ landing_files_read_table(source_name) ~ " as
        select * from " ~ landing_listing_table(source_name) ~ " as listing"
        ~ (" anti join (" ~ held ~ ") as held
            on
                held.source_file = listing.source_file
                and held.file_bytes = listing.file_bytes
                and held.file_modified_ms = listing.file_modified_ms" if is_incremental() else "")
    ) %}
    {% if not is_incremental() %}{{ return('true') }}{% endif %}
    {% set unread = run_query(
        "select source_file from " ~ landing_files_read_table(source_name) ~ " order by source_file"
    ).columns[0].values() %}
    {% if not unread %}{{ return('false') }}{% endif %}
    {% set quoted = [] %}
    {% for path in unread %}{% do quoted.append(sql_string(path)) %}{% endfor %}
    {{ return('filename in (' ~ quoted | join(', ') ~ ')') }}
{% endmacro %}

{#-
    The stamps of the files a *_landing_checked model reads, as a relation to join on
    source_file: landing_files_read_table in a DuckDB model; no rows elsewhere (Spark reads
    every file every build). Joined in the query that reads the lines: an UPDATE of every
    new line afterwards costs several times more (bench/README.md).
-#}
{% macro landing_file_stamps(source_name) %}
    {{ return(adapter.dispatch('landing_file_stamps', 'stedi')(source_name)) }}
{% endmacro %}

{% macro default__landing_file_stamps(source_name) -%}
    (
        select
            cast(null as string) as source_file,
            cast(null as bigint) as file_bytes,
            cast(null as bigint) as file_modified_ms
        where false
    )
{%- endmacro %}

{% macro duckdb__landing_file_stamps(source_name) -%}
    {%- if landing_ledger_applies() -%}
        {{ landing_files_read_table(source_name) }}
    {%- else -%}
        {{ default__landing_file_stamps(source_name) }}
    {%- endif -%}
{%- endmacro %}

{#-
    Pre-hook, in the transaction that inserts the new lines: the lines of files that
    changed, disappeared or were read by a build that did not finish (not numbered) go.
-#}
{% macro delete_stale_landing_lines(source_name) %}
    {{ return(adapter.dispatch('delete_stale_landing_lines', 'stedi')(source_name)) }}
{% endmacro %}

{% macro default__delete_stale_landing_lines(source_name) %}
{% endmacro %}

{% macro duckdb__delete_stale_landing_lines(source_name) %}
    {% if is_incremental() %}
    delete from {{ this }} as checked
    where not exists (
        select 1 from {{ landing_listing_table(source_name) }} as listing
        where
            listing.source_file = checked.source_file
            and listing.file_bytes = checked.file_bytes
            and listing.file_modified_ms = checked.file_modified_ms
    )
    or checked.line_number is null
    {% endif %}
{% endmacro %}
