with accelerometer_landing as (

    select * from {{ ref('accelerometer_landing') }}

),

customer_trusted as (

    select
        customer_key,
        research_consent_ms
    from {{ ref('customer_trusted') }}

),

-- strict: the owner consents, and only readings from the moment of consent
strict_readings as (

    select accelerometer_landing.*
    from accelerometer_landing
    inner join customer_trusted
        on
            accelerometer_landing.user_key = customer_trusted.customer_key
            and accelerometer_landing.reading_ms >= customer_trusted.research_consent_ms
    where {{ consent_policy_is('strict') }}

),

-- rubric (the course): every reading of a user with a consenting record
rubric_readings as (

    select accelerometer_landing.*
    from accelerometer_landing
    where
        {{ consent_policy_is('rubric') }}
        and accelerometer_landing.user_key in (select customer_trusted.customer_key from customer_trusted)

),

consented_readings as (

    select * from strict_readings
    union all
    select * from rubric_readings

),

-- Grain: one reading per (user, instant, x, y, z). A phone sends 1 to 6 readings per
-- instant with different values; identical lines are re-sent copies, kept once. Only fixed-
-- width values are aggregated (a text aggregate costs more than the rest of the model);
-- the landing lines of a reading are the accelerometer_landing rows with the same key.
distinct_readings as (

    select
        user_key,
        reading_ms,
        x,
        y,
        z,
        count(*) as landing_copies
    from consented_readings
    group by user_key, reading_ms, x, y, z

)

select
    user_key,
    reading_ms,
    {{ epoch_ms_to_timestamp('reading_ms') }} as reading_at,
    x,
    y,
    z,
    landing_copies
from distinct_readings
