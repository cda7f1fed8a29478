with customer_trusted as (

    select * from {{ ref('customer_trusted') }}

),

accelerometer_trusted as (

    select user_key from {{ ref('accelerometer_trusted') }}

),

-- Trusted customers who have at least one trusted phone reading. Customer columns only.
customers_with_readings as (

    select customer_trusted.*
    from customer_trusted
    where customer_trusted.customer_key in (select accelerometer_trusted.user_key from accelerometer_trusted)

)

select * from customers_with_readings
