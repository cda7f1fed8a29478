{{ config(
    materialized=incremental_where_supported(),
    pre_hook="{{ delete_stale_landing_lines('step_trainer') }}",
    post_hook=landing_post_hooks('step_trainer'),
) }}

{{ check_landing_lines(source('landing', 'step_trainer'), landing_fields('step_trainer')) }}
