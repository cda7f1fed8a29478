-- The trusted zone's quarantine (strict): device readings that cannot be attributed to
-- one customer because their serial number belongs to several current customers, at
-- least one of whom is curated. One row per landing line, never in step_trainer_trusted.

with step_trainer_landing as (

    select * from {{ ref('step_trainer_landing') }}

),

serial_number_owners as (

    select
        serial_number,
        current_owners
    from {{ ref('serial_number_owners') }}

),

customer_curated as (

    select serial_number from {{ ref('customer_curated') }}

),

shared_devices as (

    select
        serial_number_owners.serial_number,
        serial_number_owners.current_owners
    from serial_number_owners
    where
        {{ consent_policy_is('strict') }}
        and serial_number_owners.current_owners > 1
        and serial_number_owners.serial_number in (select customer_curated.serial_number from customer_curated)

),

unattributed_readings as (

    select
        step_trainer_landing.serial_number,
        step_trainer_landing.sensor_reading_ms,
        step_trainer_landing.sensor_reading_at,
        step_trainer_landing.distance_from_object,
        shared_devices.current_owners,
        'serial_number_shared_by_several_customers' as quarantine_reason,
        step_trainer_landing.source_file,
        step_trainer_landing.line_number
    from step_trainer_landing
    inner join shared_devices
        on step_trainer_landing.serial_number = shared_devices.serial_number

)

select * from unattributed_readings
