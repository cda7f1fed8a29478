{{ config(
    materialized=incremental_where_supported(),
    pre_hook="{{ delete_stale_landing_lines('customer') }}",
    post_hook=landing_post_hooks('customer'),
) }}

{{ check_landing_lines(source('landing', 'customer'), landing_fields('customer')) }}
