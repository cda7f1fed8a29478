with step_trainer_landing_checked as (

    select * from {{ ref('step_trainer_landing_checked') }}
    where rejection_reason is null

),

typed_readings as (

    select
        serial_number,

        sensor_reading_ms,
        {{ epoch_ms_to_timestamp('sensor_reading_ms') }} as sensor_reading_at,

        distance_from_object,

        source_file,
        line_number
    from step_trainer_landing_checked

)

select * from typed_readings
