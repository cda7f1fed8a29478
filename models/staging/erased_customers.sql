with erasure_log as (

    select key_hash from {{ ref('erasure_log') }}

),

-- a customer erased again (a later export brought them back) has several log records
erased_customers as (

    select key_hash
    from erasure_log
    group by key_hash

)

select * from erased_customers
