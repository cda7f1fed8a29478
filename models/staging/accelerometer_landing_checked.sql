{{ config(materialized='table', post_hook=landing_post_hooks('accelerometer')) }}

{{ check_landing_lines(source('landing', 'accelerometer'), landing_fields('accelerometer')) }}
