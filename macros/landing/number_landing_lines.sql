{#-
    Post-hook of the *_landing_checked models on DuckDB: numbers each line within its file.
    The table was written in the reader's order (preserve_insertion_order: files one after
    the other, lines in file order), so a row's rowid minus the first rowid of its file is
    its position. An UPDATE after a parallel write costs a fraction of a window in the
    query, which would run the whole parse on one thread. The tests unique_line_numbers
    (which relies on this numbering) and landing_line_numbers_are_dense check the result.
    On Spark the source view numbers the lines itself.
-#}
{% macro number_landing_lines() %}
    {{ return(adapter.dispatch('number_landing_lines', 'stedi')()) }}
{% endmacro %}

{% macro default__number_landing_lines() %}
{% endmacro %}

{% macro duckdb__number_landing_lines() %}
    update {{ this }} as checked
    set line_number = checked.rowid - files.first_rowid + 1
    from (
        select source_file, min(rowid) as first_rowid
        from {{ this }}
        group by source_file
    ) as files
    where checked.source_file = files.source_file
{% endmacro %}
