-- Every file's lines are numbered 1, 2, ... n with nothing skipped: with the
-- unique_line_numbers tests this proves each line of the file has its own number.
-- Fails if the rows of two files interleaved in the scan order that numbers them.

{%- set sources = landing_source_names() %}

with
{%- for source_name in sources %}
    {{ source_name }}_files as (

        select
            '{{ source_name }}' as source_name,
            source_file,
            count(*) as line_count,
            min(line_number) as first_line_number,
            max(line_number) as last_line_number
        from {{ ref(source_name ~ '_landing_checked') }}
        group by source_file

    ),
{%- endfor %}

landing_files as (
    {%- for source_name in sources %}
        select * from {{ source_name }}_files
        {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
)

select *
from landing_files
where
    first_line_number != 1
    or last_line_number != line_count
    or last_line_number is null
