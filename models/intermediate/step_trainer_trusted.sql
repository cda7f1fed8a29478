{{ config(
    materialized=incremental_where_supported(),
    pre_hook="{{ delete_changed_keys('serial_number') }}",
    post_hook="{{ record_key_inputs() }}",
) }}

{#-
    The devices of curated customers. Under strict an attributable device has one current
    owner, so one curated row and its consent date; rubric's rules do not read the date.
-#}
{% set curated_devices %}
    select
        serial_number,
        min(research_consent_ms) as research_consent_ms
    from {{ ref('customer_curated') }}
    group by serial_number
{% endset %}

{#- A device's rows depend on its consent date, its number of owners and its landing readings. -#}
{% set key_inputs %}
    select
        curated.serial_number as key,
        hash(curated.research_consent_ms, owners.current_owners, readings.digest) as digest
    from ({{ curated_devices }}) as curated
    left join {{ ref('device_owners') }} as owners
        on curated.serial_number = owners.serial_number
    left join {{ digest_per_key(ref('step_trainer_landing'), 'serial_number', ['sensor_reading_ms', 'distance_from_object']) }} as readings
        on curated.serial_number = readings.serial_number
{% endset %}
{% do prepare_keys_to_rebuild('serial_number', key_inputs) %}

with step_trainer_landing as (

    select * from {{ ref('step_trainer_landing') }}
    where {{ is_rebuilt('serial_number') }}

),

device_owners as (

    select
        serial_number,
        current_owners
    from {{ ref('device_owners') }}

),

-- the curated devices this build rebuilds
curated_devices as (

    select
        serial_number,
        research_consent_ms
    from ({{ curated_devices }}) as curated
    where {{ is_rebuilt('serial_number') }}

),

-- rule: readings of curated customers' devices (strict: from the moment of consent)
consented_readings as (

    select step_trainer_landing.*
    from step_trainer_landing
    inner join curated_devices
        on step_trainer_landing.serial_number = curated_devices.serial_number
    where {{ taken_after_consent('step_trainer_landing.sensor_reading_ms', 'curated_devices.research_consent_ms') }}

),

-- rule: a device claimed by several current customers is attributable to none of them
-- (strict; its readings go to step_trainer_unattributed)
attributable_readings as (

    select consented_readings.*
    from consented_readings
    left join device_owners
        on consented_readings.serial_number = device_owners.serial_number
    where {{ device_has_one_owner('device_owners.current_owners') }}

),

-- Grain: one reading per (device, instant, distance); identical lines are re-sent copies.
-- As in accelerometer_trusted, only fixed-width values are aggregated.
distinct_readings as (

    select
        serial_number,
        sensor_reading_ms,
        distance_from_object,
        count(*) as landing_copies
    from attributable_readings
    group by serial_number, sensor_reading_ms, distance_from_object

)

select
    serial_number,
    sensor_reading_ms,
    {{ epoch_ms_to_timestamp('sensor_reading_ms') }} as sensor_reading_at,
    distance_from_object,
    landing_copies
from distinct_readings
