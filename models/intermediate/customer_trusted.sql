with customer_records as (

    select * from {{ ref('customer_records') }}

),

-- rule: which records speak for the customer (strict: the current record only)
customer_state as (

    select * from customer_records
    where {{ current_record_only('customer_records.is_current_record') }}

),

-- rule: a research-consent date is consent; a missing key or null is none
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
    from customer_state
    where research_consent_ms is not null

)

select * from consenting_customers
