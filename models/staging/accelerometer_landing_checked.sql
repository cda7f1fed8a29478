{{ config(
    materialized=incremental_where_supported(),
    pre_hook="{{ delete_stale_landing_lines('accelerometer') }}",
    post_hook=landing_post_hooks('accelerometer'),
) }}

{{ check_landing_lines(source('landing', 'accelerometer'), landing_fields('accelerometer')) }}
