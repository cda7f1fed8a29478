-- The quarantine: every landing line that is not a valid record, with the reason.

with customer_landing_checked as (

    select * from {{ ref('customer_landing_checked') }}

),

accelerometer_landing_checked as (

    select * from {{ ref('accelerometer_landing_checked') }}

),

step_trainer_landing_checked as (

    select * from {{ ref('step_trainer_landing_checked') }}

),

erasure_request_landing_checked as (

    select * from {{ ref('erasure_request_landing_checked') }}

),

all_rejects as (

    select
        'customer' as source_name,
        source_file,
        line_number,
        rejection_reason,
        rejected_field,
        rejected_line
    from customer_landing_checked
    where rejection_reason is not null

    union all

    select
        'accelerometer' as source_name,
        source_file,
        line_number,
        rejection_reason,
        rejected_field,
        rejected_line
    from accelerometer_landing_checked
    where rejection_reason is not null

    union all

    select
        'step_trainer' as source_name,
        source_file,
        line_number,
        rejection_reason,
        rejected_field,
        rejected_line
    from step_trainer_landing_checked
    where rejection_reason is not null

    union all

    select
        'erasure_request' as source_name,
        source_file,
        line_number,
        rejection_reason,
        rejected_field,
        rejected_line
    from erasure_request_landing_checked
    where rejection_reason is not null

)

select * from all_rejects
