{{ config(materialized='view') }}

with customer_current as (

    select
        customer_key,
        serial_number
    from {{ ref('customer_current') }}

),

-- How many current customers claim each serial number. A device is attributable to a
-- customer only when exactly one does (the 2022 export reuses 30 serial numbers).
owners_per_serial_number as (

    select
        serial_number,
        count(*) as current_owners
    from customer_current
    group by serial_number

)

select * from owners_per_serial_number
