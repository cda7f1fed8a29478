{{ config(materialized='table') }}

-- The keyed hashes of erased customers, from the erasure log: a table, so readers of
-- customer_landing need no access to the log itself.
with erasure_log as (

    {{ erased_customer_hashes() }}

),

-- a customer erased again (a later export brought them back) is logged again
erased_customers as (

    select key_hash
    from erasure_log
    group by key_hash

)

select * from erased_customers
