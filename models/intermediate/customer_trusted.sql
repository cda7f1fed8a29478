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

    select {{ all_columns_except(['is_current_record']) }}
    from customer_state
    where research_consent_ms is not null

)

select * from consenting_customers
