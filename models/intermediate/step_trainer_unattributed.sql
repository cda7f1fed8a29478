-- The trusted zone's quarantine (strict): device readings that cannot be attributed to
-- one customer because their serial number belongs to several current customers, at
-- least one of whom is curated. One row per landing line, never in step_trainer_trusted.

with step_trainer_landing as (

    select * from {{ ref('step_trainer_landing') }}

),

device_owners as (

    select * from {{ ref('device_owners') }}

),

customer_curated as (

    select serial_number from {{ ref('customer_curated') }}

),

-- the devices the rule device_has_one_owner leaves out, of curated customers
unattributable_devices as (

    select
        device_owners.serial_number,
        device_owners.current_owners,
        device_owners.unattributed_reason
    from device_owners
    where
        not ({{ device_has_one_owner('device_owners.current_owners') }})
        and device_owners.serial_number in (select customer_curated.serial_number from customer_curated)

),

unattributed_readings as (

    select
        step_trainer_landing.serial_number,
        step_trainer_landing.sensor_reading_ms,
        step_trainer_landing.sensor_reading_at,
        step_trainer_landing.distance_from_object,
        unattributable_devices.current_owners,
        unattributable_devices.unattributed_reason as quarantine_reason,
        step_trainer_landing.source_file,
        step_trainer_landing.line_number
    from step_trainer_landing
    inner join unattributable_devices
        on step_trainer_landing.serial_number = unattributable_devices.serial_number

)

select * from unattributed_readings
