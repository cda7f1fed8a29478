{{ config(materialized='table', post_hook="{{ record_unreadable_lines('accelerometer') }}") }}

{%- set fields = [
    {'key': 'user', 'column': 'user_email', 'type': 'string', 'required': true},
    {'key': 'timestamp', 'column': 'reading_ms', 'type': 'epoch_ms', 'required': true},
    {'key': 'x', 'column': 'x', 'type': 'double', 'required': true},
    {'key': 'y', 'column': 'y', 'type': 'double', 'required': true},
    {'key': 'z', 'column': 'z', 'type': 'double', 'required': true},
] %}

{{ check_landing_lines(source('landing', 'accelerometer'), fields) }}
