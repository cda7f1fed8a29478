-- Warns when device readings were quarantined in the trusted zone because their serial
-- number belongs to several current customers; the warning counts the readings.
{{ config(tags=['monitor'], severity='warn', fail_calc='coalesce(sum(quarantined_readings), 0)') }}

with step_trainer_unattributed as (

    select
        serial_number,
        current_owners
    from {{ ref('step_trainer_unattributed') }}

),

readings_by_device as (

    select
        serial_number,
        current_owners,
        count(*) as quarantined_readings
    from step_trainer_unattributed
    group by serial_number, current_owners

)

select * from readings_by_device
