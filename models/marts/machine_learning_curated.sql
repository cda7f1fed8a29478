with step_trainer_trusted as (

    select
        serial_number,
        sensor_reading_ms,
        sensor_reading_at,
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

customer_curated as (

    select
        customer_key,
        serial_number
    from {{ ref('customer_curated') }}

),

-- No direct identifier leaves this model: the customer becomes a keyed pseudonym, hashed
-- once per customer (hashing once per row cost more than the joins at 1M customers)
subjects as (

    select
        customer_key,
        {{ subject_id('customer_key') }} as subject_id
    from (select distinct customer_key from customer_curated) as curated_customers

),

-- strict: a device reading pairs only with its owner's phone readings of the same instant
strict_pairs as (

    select
        subjects.subject_id,
        step_trainer_trusted.sensor_reading_ms,
        step_trainer_trusted.sensor_reading_at,
        step_trainer_trusted.distance_from_object,
        accelerometer_trusted.x,
        accelerometer_trusted.y,
        accelerometer_trusted.z
    from step_trainer_trusted
    inner join customer_curated
        on step_trainer_trusted.serial_number = customer_curated.serial_number
    inner join subjects
        on customer_curated.customer_key = subjects.customer_key
    inner join accelerometer_trusted
        on
            customer_curated.customer_key = accelerometer_trusted.user_key
            and step_trainer_trusted.sensor_reading_ms = accelerometer_trusted.reading_ms
    where {{ consent_policy_is('strict') }}

),

-- rubric (the course): joined on the timestamp alone, so an instant shared by two
-- customers pairs one customer's device with the other's phone
rubric_pairs as (

    select
        subjects.subject_id,
        step_trainer_trusted.sensor_reading_ms,
        step_trainer_trusted.sensor_reading_at,
        step_trainer_trusted.distance_from_object,
        accelerometer_trusted.x,
        accelerometer_trusted.y,
        accelerometer_trusted.z
    from step_trainer_trusted
    inner join accelerometer_trusted
        on step_trainer_trusted.sensor_reading_ms = accelerometer_trusted.reading_ms
    -- drops nothing: customer_curated holds every customer with a trusted phone reading
    inner join subjects
        on accelerometer_trusted.user_key = subjects.customer_key
    where {{ consent_policy_is('rubric') }}

),

paired_readings as (

    select * from strict_pairs
    union all
    select * from rubric_pairs

)

-- In subject and time order: each subject's readings lie together for the data scientists,
-- and Parquet dictionary-encodes the pseudonym (at 1M customers the file is 121 MB instead
-- of 1.2 GB, and writing it saves about what the sort costs)
select * from paired_readings
order by subject_id, sensor_reading_ms
