-- Reconciliation: for every landing file, the lines the reader returns equal the typed
-- records plus the quarantined lines. Reads the files again, without parsing them.
-- Lines the reader cannot take (invalid_encoding, line_too_long, unreadable_line) are
-- not returned by it, so they are left out of both sides here; pytest counts them
-- against the bytes on disk.

{%- set sources = landing_source_names() %}

with
{%- for source_name in sources %}
    {{ source_name }}_lines as (

        select
            '{{ source_name }}' as source_name,
            filename as source_file,
            count(*) as lines_read
        from {{ source('landing', source_name) }}
        group by filename

    ),

    {{ source_name }}_records as (

        select
            '{{ source_name }}' as source_name,
            source_file,
            count(*) as accepted_lines
        from {{ ref(source_name ~ '_landing') }}
        group by source_file

    ),
{%- endfor %}

lines_read as (
    {%- for source_name in sources %}
        select * from {{ source_name }}_lines
        {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

accepted as (
    {%- for source_name in sources %}
        select * from {{ source_name }}_records
        {%- if not loop.last %} union all{% endif %}
    {%- endfor %}
),

rejected as (

    select
        source_name,
        source_file,
        count(*) as rejected_lines
    from {{ ref('rejected_records') }}
    where rejection_reason not in ('invalid_encoding', 'line_too_long', 'unreadable_line')
    group by source_name, source_file

),

reconciliation as (

    select
        lines_read.source_name,
        lines_read.source_file,
        lines_read.lines_read,
        coalesce(accepted.accepted_lines, 0) as accepted_lines,
        coalesce(rejected.rejected_lines, 0) as rejected_lines
    from lines_read
    left join accepted
        on
            lines_read.source_name = accepted.source_name
            and lines_read.source_file = accepted.source_file
    left join rejected
        on
            lines_read.source_name = rejected.source_name
            and lines_read.source_file = rejected.source_file

)

select * from reconciliation
where lines_read != accepted_lines + rejected_lines
