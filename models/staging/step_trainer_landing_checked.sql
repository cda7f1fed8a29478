{{ config(materialized='table', post_hook="{{ record_unreadable_lines('step_trainer') }}") }}

{%- set fields = [
    {'key': 'sensorReadingTime', 'column': 'sensor_reading_ms', 'type': 'epoch_ms', 'required': true},
    {'key': 'serialNumber', 'column': 'serial_number', 'type': 'string', 'required': true},
    {'key': 'distanceFromObject', 'column': 'distance_from_object', 'type': 'bigint', 'required': true},
] %}

{{ check_landing_lines(source('landing', 'step_trainer'), fields) }}
