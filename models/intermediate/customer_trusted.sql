with customer_current as (

    select * from {{ ref('customer_current') }}

),

customer_landing as (

    select * from {{ ref('customer_landing') }}

),

-- strict: the customer's current record decides; no consent date, no data
strict_candidates as (

    select * from customer_current
    where {{ consent_policy_is('strict') }}

),

-- rubric (the course): every landing record that carries a consent date
rubric_candidates as (

    select
        customer_key,
        email,
        customer_name,
        phone,
        birth_day,
        serial_number,
        registration_ms,
        registration_at,
        last_update_ms,
        last_update_at,
        research_consent_ms,
        research_consent_at,
        public_consent_ms,
        public_consent_at,
        friends_consent_ms,
        friends_consent_at,
        cast(1 as bigint) as landing_records,
        source_file,
        line_number
    from customer_landing
    where {{ consent_policy_is('rubric') }}

),

candidate_records as (

    select * from strict_candidates
    union all
    select * from rubric_candidates

),

-- both candidate sets have the same columns in the same order
consenting_customers as (

    select * from candidate_records
    where research_consent_ms is not null

)

select * from consenting_customers
