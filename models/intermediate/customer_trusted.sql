with customer_current as (

    select * from {{ ref('customer_current') }}

),

customer_landing as (

    select * from {{ ref('customer_landing') }}

),

{% if var('consent_policy') == 'strict' -%}
-- strict: the customer's current record decides; no consent date, no data
candidate_records as (

    select * from customer_current

),
{%- else -%}
-- rubric (the course): every landing record that carries a consent date
candidate_records as (

    select
        *,
        cast(1 as bigint) as landing_records
    from customer_landing

),
{%- endif %}

consenting_customers as (

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
        landing_records,
        source_file,
        line_number
    from candidate_records
    where research_consent_ms is not null

)

select * from consenting_customers
