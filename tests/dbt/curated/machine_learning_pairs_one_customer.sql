-- strict: every machine-learning row is one customer's device reading with the same
-- customer's phone reading of the same instant. The subject is mapped back to its
-- customer through the keyed hash, then both readings must belong to that customer.
{{ config(enabled=var('consent_policy') == 'strict') }}

with machine_learning_curated as (

    select * from {{ ref('machine_learning_curated') }}

),

customer_curated as (

    select
        customer_key,
        serial_number
    from {{ ref('customer_curated') }}

),

step_trainer_trusted as (

    select
        serial_number,
        sensor_reading_ms,
        distance_from_object
    from {{ ref('step_trainer_trusted') }}

),

accelerometer_trusted as (

    select
        user_key,
        reading_ms,
        x,
        y,
        z
    from {{ ref('accelerometer_trusted') }}

),

subjects as (

    select
        customer_key,
        serial_number,
        {{ subject_id('customer_key') }} as subject_id
    from customer_curated

),

-- both sides are unique on these keys (their grain tests), so the joins add no rows
rows_with_their_readings as (

    select
        machine_learning_curated.*,
        subjects.customer_key,
        step_trainer_trusted.serial_number as device_serial_number,
        accelerometer_trusted.user_key as phone_user_key
    from machine_learning_curated
    left join subjects
        on machine_learning_curated.subject_id = subjects.subject_id
    left join step_trainer_trusted
        on
            subjects.serial_number = step_trainer_trusted.serial_number
            and machine_learning_curated.sensor_reading_ms = step_trainer_trusted.sensor_reading_ms
            and machine_learning_curated.distance_from_object = step_trainer_trusted.distance_from_object
    left join accelerometer_trusted
        on
            subjects.customer_key = accelerometer_trusted.user_key
            and machine_learning_curated.sensor_reading_ms = accelerometer_trusted.reading_ms
            and machine_learning_curated.x = accelerometer_trusted.x
            and machine_learning_curated.y = accelerometer_trusted.y
            and machine_learning_curated.z = accelerometer_trusted.z

),

unmatched_rows as (

    select * from rows_with_their_readings
    where
        customer_key is null
        or device_serial_number is null
        or phone_user_key is null

)

select * from unmatched_rows
