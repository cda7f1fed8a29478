with current_records as (

    select
        customer_key,
        serial_number
    from {{ ref('customer_records') }}
    where is_current_record

),

-- A device is attributable to a customer only when exactly one current customer claims its
-- serial number (the 2022 export gives each of its 30 serial numbers to several customers).
owners_per_device as (

    select
        serial_number,
        count(*) as current_owners,
        min(customer_key) as first_owner_key
    from current_records
    group by serial_number

),

device_attribution as (

    select
        serial_number,
        current_owners,
        case when current_owners = 1 then first_owner_key end as owner_key,
        case
            when current_owners > 1 then 'serial_number_shared_by_several_customers'
        end as unattributed_reason
    from owners_per_device

)

select * from device_attribution
