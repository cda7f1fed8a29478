{{ config(materialized='table', post_hook=landing_post_hooks('customer')) }}

{{ check_landing_lines(source('landing', 'customer'), landing_fields('customer')) }}
