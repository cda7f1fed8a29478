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

rows_with_owner as (

    select
        machine_learning_curated.*,
        subjects.customer_key,
        subjects.serial_number
    from machine_learning_curated
    left join subjects
        on machine_learning_curated.subject_id = subjects.subject_id

),

unmatched_rows as (

    select rows_with_owner.*
    from rows_with_owner
    where
        rows_with_owner.customer_key is null
        or not exists (
            select 1
            from step_trainer_trusted
            where
                step_trainer_trusted.serial_number = rows_with_owner.serial_number
                and step_trainer_trusted.sensor_reading_ms = rows_with_owner.sensor_reading_ms
                and step_trainer_trusted.distance_from_object = rows_with_owner.distance_from_object
        )
        or not exists (
            select 1
            from accelerometer_trusted
            where
                accelerometer_trusted.user_key = rows_with_owner.customer_key
                and accelerometer_trusted.reading_ms = rows_with_owner.sensor_reading_ms
                and accelerometer_trusted.x = rows_with_owner.x
                and accelerometer_trusted.y = rows_with_owner.y
                and accelerometer_trusted.z = rows_with_owner.z
        )

)

select * from unmatched_rows
