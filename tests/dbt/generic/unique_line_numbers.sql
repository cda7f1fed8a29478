{#-
    No two rows of a checked landing table share (source_file, line_number). The query
    per engine is landing_duplicate_line_numbers (macros/landing/number_landing_lines.sql).
-#}
{% test unique_line_numbers(model) %}
    {{ landing_duplicate_line_numbers(model) }}
{% endtest %}
