-- Both policies: nothing in the trusted or curated zone belongs to a customer without
-- a research-consent date.

with customer_trusted as (

    select
        customer_key,
        serial_number,
        research_consent_ms
    from {{ ref('customer_trusted') }}

),

customer_curated as (

    select
        customer_key,
        research_consent_ms
    from {{ ref('customer_curated') }}

),

accelerometer_trusted as (

    select user_key from {{ ref('accelerometer_trusted') }}

),

step_trainer_trusted as (

    select serial_number from {{ ref('step_trainer_trusted') }}

),

machine_learning_curated as (

    select subject_id from {{ ref('machine_learning_curated') }}

),

consenting_customers as (

    select
        customer_key,
        serial_number,
        {{ subject_id('customer_key') }} as subject_id
    from customer_trusted
    where research_consent_ms is not null

),

violations as (

    select
        'customer_trusted' as relation_name,
        customer_key as offending_key
    from customer_trusted
    where research_consent_ms is null

    union all

    select
        'customer_curated' as relation_name,
        customer_key as offending_key
    from customer_curated
    where customer_key not in (select consenting_customers.customer_key from consenting_customers)

    union all

    select
        'accelerometer_trusted' as relation_name,
        user_key as offending_key
    from accelerometer_trusted
    where user_key not in (select consenting_customers.customer_key from consenting_customers)

    union all

    select
        'step_trainer_trusted' as relation_name,
        serial_number as offending_key
    from step_trainer_trusted
    where serial_number not in (select consenting_customers.serial_number from consenting_customers)

    union all

    select
        'machine_learning_curated' as relation_name,
        subject_id as offending_key
    from machine_learning_curated
    where subject_id not in (select consenting_customers.subject_id from consenting_customers)

)

select * from violations
