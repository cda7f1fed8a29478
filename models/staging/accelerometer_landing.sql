with accelerometer_landing_checked as (

    select * from {{ ref('accelerometer_landing_checked') }}
    where rejection_reason is null

),

typed_readings as (

    select
        lower(trim(user_email)) as user_key,
        user_email,

        reading_ms,
        {{ epoch_ms_to_timestamp('reading_ms') }} as reading_at,

        x,
        y,
        z,

        source_file,
        line_number
    from accelerometer_landing_checked

)

select * from typed_readings
