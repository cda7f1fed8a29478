with erasure_request_landing_checked as (

    select * from {{ ref('erasure_request_landing_checked') }}
    where rejection_reason is null

),

typed_requests as (

    select
        -- the customer to erase, as customer_landing identifies customers
        lower(trim(email)) as customer_key,

        requested_ms,
        {{ epoch_ms_to_timestamp('requested_ms') }} as requested_at,

        source_file,
        line_number
    from erasure_request_landing_checked

)

select * from typed_requests
