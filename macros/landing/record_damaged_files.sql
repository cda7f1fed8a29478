{#-
    Post-hook of the *_landing_checked models: DuckDB's reader decompresses a truncated
    .json.gz as far as it goes and a corrupt one without checking it, silently. A file
    whose gzip stream does not end or check out (stedi_damaged_gzip, stedi/dbt_plugin.py)
    (read in this build) is quarantined: its last line as truncated_file (it may be cut, the rest is missing),
    every line of a corrupt file as corrupt_file. The lines keep their numbers.
-#}
{% macro record_damaged_files(source_name) %}
    {{ return(adapter.dispatch('record_damaged_files', 'stedi')(source_name)) }}
{% endmacro %}

{#- Spark's reader fails the build on a damaged gzip file itself. -#}
{% macro default__record_damaged_files(source_name) %}
{% endmacro %}

{% macro duckdb__record_damaged_files(source_name) %}
    update {{ this }} as checked
    set rejection_reason = damaged.reason, rejected_field = null
    from (
        select
            source_file,
            nullif(stedi_damaged_gzip(source_file), '') as reason,
            max(line_number) as last_line_number
        from {{ this }}
        where
            source_file like '%.gz'
            and source_file in (select source_file from {{ landing_files_read_table(source_name) }})
        group by source_file
    ) as damaged
    where
        checked.source_file = damaged.source_file
        and (
            damaged.reason = 'corrupt_file'
            or (damaged.reason = 'truncated_file' and checked.line_number = damaged.last_line_number)
        )
{% endmacro %}
