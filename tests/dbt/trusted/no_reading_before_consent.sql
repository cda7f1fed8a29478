-- strict: no trusted reading (phone or device) predates its owner's research consent.
{{ config(enabled=var('consent_policy') == 'strict') }}

with accelerometer_trusted as (

    select
        user_key,
        reading_ms
    from {{ ref('accelerometer_trusted') }}

),

step_trainer_trusted as (

    select
        serial_number,
        sensor_reading_ms
    from {{ ref('step_trainer_trusted') }}

),

customer_trusted as (

    select
        customer_key,
        serial_number,
        research_consent_ms
    from {{ ref('customer_trusted') }}

),

phone_readings_before_consent as (

    select
        'accelerometer_trusted' as relation_name,
        accelerometer_trusted.user_key as owner_key,
        accelerometer_trusted.reading_ms,
        customer_trusted.research_consent_ms
    from accelerometer_trusted
    inner join customer_trusted
        on accelerometer_trusted.user_key = customer_trusted.customer_key
    where accelerometer_trusted.reading_ms < customer_trusted.research_consent_ms

),

device_readings_before_consent as (

    select
        'step_trainer_trusted' as relation_name,
        step_trainer_trusted.serial_number as owner_key,
        step_trainer_trusted.sensor_reading_ms as reading_ms,
        customer_trusted.research_consent_ms
    from step_trainer_trusted
    inner join customer_trusted
        on step_trainer_trusted.serial_number = customer_trusted.serial_number
    where step_trainer_trusted.sensor_reading_ms < customer_trusted.research_consent_ms

)

select * from phone_readings_before_consent
union all
select * from device_readings_before_consent
