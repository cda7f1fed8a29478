-- The quarantine: every landing line that is not a valid record, with the reason.
{%- set sources = ['customer', 'accelerometer', 'step_trainer'] %}

with
{%- for source_name in sources %}
{{ source_name }}_rejects as (

    select
        '{{ source_name }}' as source_name,
        source_file,
        line_number,
        rejection_reason,
        rejected_field,
        rejected_line
    from {{ ref(source_name ~ '_landing_checked') }}
    where rejection_reason is not null

),
{% endfor %}
all_rejects as (
    {%- for source_name in sources %}
    select * from {{ source_name }}_rejects
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from all_rejects
