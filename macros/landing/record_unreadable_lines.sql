{#- Lines the reader cannot take must still be accounted for: they are quarantined here. -#}
{% macro record_unreadable_lines(source_name) %}
    {{ return(adapter.dispatch('record_unreadable_lines', 'stedi')(source_name)) }}
{% endmacro %}

{% macro default__record_unreadable_lines(source_name) %}
{% endmacro %}

{% macro duckdb__record_unreadable_lines(source_name) %}
    {%- set errors = 'temp.main.landing_' ~ source_name ~ '_unreadable_lines' -%}
    {%- set scans = 'temp.main.landing_' ~ source_name ~ '_scans' -%}
    {%- set unreadable_lines -%}
        select
            scans.file_path as source_file,
            errors.line as line_number,
            row_number() over (partition by scans.file_path order by errors.line) as rank_in_file,
            case errors.error_type
                when 'INVALID ENCODING' then 'invalid_encoding'
                when 'LINE SIZE OVER MAXIMUM' then 'line_too_long'
                else 'unreadable_line'
            end as rejection_reason,
            errors.csv_line as rejected_line
        from {{ errors }} as errors
        inner join {{ scans }} as scans
            on errors.scan_id = scans.scan_id and errors.file_id = scans.file_id
        where errors.scan_id = (select max(scan_id) from {{ scans }})
    {%- endset %}
    {#- a build that reads no file of this source has no reject tables; most builds have no
        unreadable line: then the update below, which joins every row, is skipped -#}
    {%- if execute and run_query(
        "select count(*) from duckdb_tables() where temporary and table_name = 'landing_" ~ source_name ~ "_scans'"
    ).columns[0].values()[0] == 0 -%}
        {{ return('') }}
    {%- endif %}
    {%- if execute and run_query('select count(*) from (' ~ unreadable_lines ~ ')').columns[0].values()[0] == 0 -%}
        {{ return('') }}
    {%- endif %}

    -- a readable line that was the p-th the reader returned moves down by the number of
    -- unreadable lines before it: those whose (line number - rank) is below p
    update {{ this }} as checked
    set line_number = checked.line_number + (
        select count(*)
        from ({{ unreadable_lines }}) as unreadable
        where
            unreadable.source_file = checked.source_file
            and unreadable.line_number - unreadable.rank_in_file < checked.line_number
    )
    where checked.source_file in (select unreadable.source_file from ({{ unreadable_lines }}) as unreadable);

    insert into {{ this }} (source_file, line_number, rejection_reason, rejected_line, file_bytes, file_modified_ms)
    select
        unreadable.source_file,
        unreadable.line_number,
        unreadable.rejection_reason,
        unreadable.rejected_line,
        files_read.file_bytes,
        files_read.file_modified_ms
    from ({{ unreadable_lines }}) as unreadable
    inner join {{ landing_files_read_table(source_name) }} as files_read
        on unreadable.source_file = files_read.source_file;
{% endmacro %}

{#- The Spark source numbered every line already, so no other line moves. -#}
{% macro spark__record_unreadable_lines(source_name) %}
    insert into {{ this }} (source_file, line_number, rejection_reason, rejected_line)
    select
        filename,
        line_number,
        rejection_reason,
        rejected_line
    from landing.{{ source_name }}__unreadable_lines
{% endmacro %}
