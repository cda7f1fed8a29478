-- Nothing in the trusted or curated zone belongs to a customer without research consent,
-- and under strict nothing predates it. Consent is recomputed here from the landing
-- records, not read from the models under test: strict takes a customer's records with
-- the greatest lastUpdateDate (all of them, should several tie), rubric every record.
{{ config(tags=['privacy']) }}
{%- set strict = var('consent_policy') == 'strict' %}

with customer_landing as (

    select
        lower(trim(email)) as customer_key,
        serial_number,
        last_update_ms,
        research_consent_ms
    from {{ ref('customer_landing') }}

),

latest_updates as (

    select
        customer_key,
        max(last_update_ms) as last_update_ms
    from customer_landing
    group by customer_key

),

consenting_records as (

    select customer_landing.*
    from customer_landing
    inner join latest_updates
        on customer_landing.customer_key = latest_updates.customer_key
    where
        customer_landing.research_consent_ms is not null
        and {{ 'customer_landing.last_update_ms = latest_updates.last_update_ms' if strict else 'true' }}

),

-- from when each customer's data may be kept (rubric: whatever its time)
consent_by_customer as (

    select
        customer_key,
        {{ subject_id('customer_key') }} as subject_id,
        {{ 'min(research_consent_ms)' if strict else 'cast(0 as bigint)' }} as kept_from_ms
    from consenting_records
    group by customer_key

),

consent_by_device as (

    select
        serial_number,
        {{ 'min(research_consent_ms)' if strict else 'cast(0 as bigint)' }} as kept_from_ms
    from consenting_records
    group by serial_number

),

violations as (

    select
        'customer_trusted' as relation_name,
        customer_trusted.customer_key as offending_key,
        cast(null as bigint) as reading_ms
    from {{ ref('customer_trusted') }} as customer_trusted
    left join consent_by_customer
        on customer_trusted.customer_key = consent_by_customer.customer_key
    where consent_by_customer.customer_key is null

    union all

    select
        'customer_curated' as relation_name,
        customer_curated.customer_key as offending_key,
        cast(null as bigint) as reading_ms
    from {{ ref('customer_curated') }} as customer_curated
    left join consent_by_customer
        on customer_curated.customer_key = consent_by_customer.customer_key
    where consent_by_customer.customer_key is null

    union all

    select
        'accelerometer_trusted' as relation_name,
        accelerometer_trusted.user_key as offending_key,
        accelerometer_trusted.reading_ms
    from {{ ref('accelerometer_trusted') }} as accelerometer_trusted
    left join consent_by_customer
        on accelerometer_trusted.user_key = consent_by_customer.customer_key
    where
        consent_by_customer.customer_key is null
        or accelerometer_trusted.reading_ms < consent_by_customer.kept_from_ms

    union all

    select
        'step_trainer_trusted' as relation_name,
        step_trainer_trusted.serial_number as offending_key,
        step_trainer_trusted.sensor_reading_ms as reading_ms
    from {{ ref('step_trainer_trusted') }} as step_trainer_trusted
    left join consent_by_device
        on step_trainer_trusted.serial_number = consent_by_device.serial_number
    where
        consent_by_device.serial_number is null
        or step_trainer_trusted.sensor_reading_ms < consent_by_device.kept_from_ms

    union all

    select
        'machine_learning_curated' as relation_name,
        machine_learning_curated.subject_id as offending_key,
        machine_learning_curated.sensor_reading_ms as reading_ms
    from {{ ref('machine_learning_curated') }} as machine_learning_curated
    left join consent_by_customer
        on machine_learning_curated.subject_id = consent_by_customer.subject_id
    where
        consent_by_customer.subject_id is null
        or machine_learning_curated.sensor_reading_ms < consent_by_customer.kept_from_ms

)

select * from violations
