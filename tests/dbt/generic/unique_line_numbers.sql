{#-
    No two rows of a checked landing table share (source_file, line_number); on Spark, the
    grain test unique_combination.
    DuckDB: number_landing_lines numbered each file's lines from the table's rowid, and
    rowids are unique. Where every line number of a file is its rowid plus one constant, the
    file's numbers are unique by that alone (one grouped pass on the file name: 0.6 s instead
    of 7 s for 85 M lines). It needs a table (rowid): the checked models are tables. Only the other files (lines quarantined as unreadable, which
    shifts numbers, or anything unexpected) are grouped on their line numbers themselves.
-#}
{% test unique_line_numbers(model) %}
{%- if target.type != 'duckdb' %}
    {{ test_unique_combination(model, ['source_file', 'line_number']) }}
{%- else %}
with files_to_group as (

    select source_file
    from {{ model }}
    group by source_file
    having
        count(line_number) != count(*)
        or min(line_number - rowid) != max(line_number - rowid)

)

select
    checked.source_file,
    checked.line_number,
    count(*) as rows_with_this_key
from {{ model }} as checked
inner join files_to_group
    on checked.source_file is not distinct from files_to_group.source_file
group by checked.source_file, checked.line_number
having count(*) > 1
{%- endif %}
{% endtest %}
