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

    select
        customer_key,
        serial_number,
        research_consent_ms
    from {{ ref('customer_curated') }}

),

-- strict: readings of a curated customer's own device, from the moment of consent; a
-- device claimed by several current customers is attributable to none of them
-- (its readings go to step_trainer_unattributed)
strict_readings as (

    select step_trainer_landing.*
    from step_trainer_landing
    inner join serial_number_owners
        on
            step_trainer_landing.serial_number = serial_number_owners.serial_number
            and serial_number_owners.current_owners = 1
    inner join customer_curated
        on
            step_trainer_landing.serial_number = customer_curated.serial_number
            and step_trainer_landing.sensor_reading_ms >= customer_curated.research_consent_ms
    where {{ consent_policy_is('strict') }}

),

-- rubric (the course): every reading of a serial number found in customer_curated
rubric_readings as (

    select step_trainer_landing.*
    from step_trainer_landing
    where
        {{ consent_policy_is('rubric') }}
        and step_trainer_landing.serial_number in (select customer_curated.serial_number from customer_curated)

),

consented_readings as (

    select * from strict_readings
    union all
    select * from rubric_readings

),

-- Grain: one reading per (device, instant, distance); identical lines are re-sent copies.
-- As in accelerometer_trusted, only fixed-width values are aggregated.
distinct_readings as (

    select
        serial_number,
        sensor_reading_ms,
        distance_from_object,
        count(*) as landing_copies
    from consented_readings
    group by serial_number, sensor_reading_ms, distance_from_object

)

select
    serial_number,
    sensor_reading_ms,
    {{ epoch_ms_to_timestamp('sensor_reading_ms') }} as sensor_reading_at,
    distance_from_object,
    landing_copies
from distinct_readings
