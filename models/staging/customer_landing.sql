with customer_landing_checked as (

    select * from {{ ref('customer_landing_checked') }}
    where rejection_reason is null

),

-- erased customers (keyed hashes in the erasure log): a later export does not bring them back
erased_customers as (

    select key_hash from {{ ref('erased_customers') }}

),

typed_customers as (

    select
        -- identity: one customer is one e-mail, trimmed and case-folded
        lower(trim(email)) as customer_key,
        email,
        customer_name,
        phone,
        birth_day,
        serial_number,

        -- epoch milliseconds for joins, UTC timestamps for people
        registration_ms,
        {{ epoch_ms_to_timestamp('registration_ms') }} as registration_at,
        last_update_ms,
        {{ epoch_ms_to_timestamp('last_update_ms') }} as last_update_at,
        research_consent_ms,
        {{ epoch_ms_to_timestamp('research_consent_ms') }} as research_consent_at,
        public_consent_ms,
        {{ epoch_ms_to_timestamp('public_consent_ms') }} as public_consent_at,
        friends_consent_ms,
        {{ epoch_ms_to_timestamp('friends_consent_ms') }} as friends_consent_at,

        -- lineage
        source_file,
        line_number
    from customer_landing_checked
    where {{ not_erased('lower(trim(customer_landing_checked.email))', 'erased_customers') }}

)

select * from typed_customers
