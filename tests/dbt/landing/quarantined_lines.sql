-- Warns, without failing the build, when landing lines were quarantined: one row per
-- source and reason, and the warning counts the lines. `make report` prints the same.
{{ config(tags=['monitor'], severity='warn', fail_calc='coalesce(sum(quarantined_lines), 0)') }}

with rejected_records as (

    select
        source_name,
        rejection_reason
    from {{ ref('rejected_records') }}

),

quarantine_by_reason as (

    select
        source_name,
        rejection_reason,
        count(*) as quarantined_lines
    from rejected_records
    group by source_name, rejection_reason

)

select * from quarantine_by_reason
