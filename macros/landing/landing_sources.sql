{#-
    dbt-spark ignores `external_location`, so on Spark the relations behind
    `source('landing', …)` are created here. Whole files (wholetext) so that each line can
    be numbered exactly. What each relation holds: _landing_macros.yml.
-#}
{% macro prepare_landing_sources() %}
    {{ return(adapter.dispatch('prepare_landing_sources', 'stedi')()) }}
{% endmacro %}

{% macro default__prepare_landing_sources() %}
{% endmacro %}

{% macro landing_source_names() %}
    {{ return(['customer', 'accelerometer', 'step_trainer']) }}
{% endmacro %}

{#- DuckDB's reader (max_line_size) rejects lines of this many bytes or more. -#}
{% macro max_landing_line_bytes() %}16777216{% endmacro %}

{#-
    A file that is not UTF-8 is split as bytes (in hex), so a line keeps its own bytes and
    the reader's replacement characters cannot be mistaken for real ones; LF, CRLF and CR
    never occur inside a UTF-8 sequence, so splitting bytes there is safe.
-#}
{% macro spark__landing_file_lines(source_name, file_condition) %}
    with landing_files as (

        select
            concat({{ sql_string(landing_root() ~ '/' ~ source_name ~ '/') }}, _metadata.file_name) as filename,
            value as file_text,
            is_valid_utf8(value) as is_utf8
        from landing.{{ source_name }}__files
        where {{ file_condition }}

    ),

    split_files as (

        select
            filename,
            is_utf8,
            case
                when is_utf8 then split(file_text, '\\r\\n|\\r|\\n', -1)
                else split(regexp_replace(hex(file_text), '(..)', '$1,'), '0D,0A,|0D,|0A,', -1)
            end as pieces
        from landing_files

    ),

    numbered_pieces as (

        select
            split_files.filename,
            split_files.is_utf8,
            size(split_files.pieces) as piece_count,
            numbered.position,
            numbered.piece
        from split_files
        lateral view posexplode(split_files.pieces) numbered as position, piece

    )

    select
        filename,
        cast(position + 1 as bigint) as line_number,
        case
            when is_utf8 then piece
            else cast(unhex(replace(piece, ',', '')) as string)
        end as line
    from numbered_pieces
    where not (position = piece_count - 1 and piece = '')
{% endmacro %}

{% macro spark__prepare_landing_sources() %}
    {% if not execute %}{{ return('') }}{% endif %}
    {{ log("Spark reads every landing file and rebuilds every table in every build (its Parquet tables cannot delete rows); DuckDB reads each file once and rebuilds only the customers and devices whose inputs changed.", info=True) }}
    {% call statement('landing_schema', auto_begin=False) %}
        create database if not exists landing
    {% endcall %}
    {#- the erasure folders are optional: a folder that does not exist reads as no files -#}
    {% do spark__register_landing_files('erasure_log', '*.jsonl') %}
    {% for source_name in landing_source_names() + ['erasure_request'] %}
        {% do spark__register_landing_files(source_name, '*.json*') %}
        {% call statement('landing_lines_' ~ source_name, auto_begin=False) %}
            create or replace view landing.{{ source_name }} as
            select
                filename,
                line_number,
                -- like DuckDB's reader: an empty line reads as null
                nullif(line, '') as line
            from ({{ spark__landing_file_lines(source_name, 'true') }})
            where is_valid_utf8(line) and octet_length(line) < {{ max_landing_line_bytes() }}
        {% endcall %}
        {% call statement('landing_unreadable_' ~ source_name, auto_begin=False) %}
            create or replace view landing.{{ source_name }}__unreadable_lines as
            select
                filename,
                line_number,
                case
                    when not is_valid_utf8(line) then 'invalid_encoding'
                    else 'line_too_long'
                end as rejection_reason,
                -- like DuckDB's reject tables: '?' for bytes that are not UTF-8, and at most
                -- 10,000 characters (DuckDB also turns the bytes after a truncated sequence
                -- into '?': there the texts differ, see the README)
                left(replace(make_valid_utf8(line), '\uFFFD', '?'), 10000) as rejected_line
            from ({{ spark__landing_file_lines(
                source_name,
                'not is_valid_utf8(value) or octet_length(value) >= ' ~ max_landing_line_bytes()
            ) }})
            where not is_valid_utf8(line) or octet_length(line) >= {{ max_landing_line_bytes() }}
        {% endcall %}
    {% endfor %}
{% endmacro %}

{#- Spark: the files of one landing folder as a table, one row per file (its whole text). -#}
{% macro spark__register_landing_files(folder, file_glob) %}
    {% call statement('landing_files_drop_' ~ folder, auto_begin=False) %}
        drop table if exists landing.{{ folder }}__files
    {% endcall %}
    {% call statement('landing_files_' ~ folder, auto_begin=False) %}
        create table landing.{{ folder }}__files (value string)
        using text
        options (wholetext 'true', pathGlobFilter {{ sql_string(file_glob) }})
        location {{ sql_string(spark__location(landing_root() ~ '/' ~ folder)) }}
    {% endcall %}
{% endmacro %}

{#-
    Spark resolves a relative LOCATION against the schema's folder in its warehouse, and a
    relative `insert overwrite directory` against its driver's working folder: on a Thrift
    server that is wherever the server was started, not where dbt runs. So a relative
    STEDI_LANDING or STEDI_LAKE is made absolute here, on dbt's side, against the dbt project
    folder, the folder dbt runs in, as DuckDB resolves it (with the `spark_cluster` target the
    executors must be able to reach that absolute path: a shared disk).
-#}
{% macro spark__location(path) %}
    {% if path.startswith('/') or ':' in path.split('/')[0] %}
        {{ return(path) }}
    {% endif %}
    {{ return(invocation_args_dict['project_dir'].rstrip('/') ~ '/' ~ path) }}
{% endmacro %}
