{{ config(materialized='table', post_hook=[
    "{{ number_landing_lines() }}",
    "{{ record_unreadable_lines('customer') }}",
]) }}

{{ check_landing_lines(source('landing', 'customer'), landing_fields('customer')) }}
