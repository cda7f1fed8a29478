{{ config(materialized='table', post_hook=[
    "{{ number_landing_lines() }}",
    "{{ record_unreadable_lines('step_trainer') }}",
]) }}

{{ check_landing_lines(source('landing', 'step_trainer'), landing_fields('step_trainer')) }}
