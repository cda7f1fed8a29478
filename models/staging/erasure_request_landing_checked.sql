{#- The folder is optional: without request files there is nothing to read (or number). -#}
{{ config(materialized='table', post_hook=erasure_request_post_hooks()) }}

{% if erasure_requests_landed() %}
{{ check_landing_lines(source('landing', 'erasure_request'), landing_fields('erasure_request')) }}
{% else %}
select
    cast(null as string) as source_file,
    cast(null as bigint) as line_number,
    cast(null as string) as rejection_reason,
    cast(null as string) as rejected_field,
    cast(null as string) as rejected_line,
    cast(null as string) as email,
    cast(null as bigint) as requested_ms,
    cast(null as bigint) as file_bytes,
    cast(null as bigint) as file_modified_ms
where false
{% endif %}
