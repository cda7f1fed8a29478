{{ config(materialized='table', post_hook=[
    "{{ number_landing_lines() }}",
    "{{ record_unreadable_lines('accelerometer') }}",
]) }}

{{ check_landing_lines(source('landing', 'accelerometer'), landing_fields('accelerometer')) }}
