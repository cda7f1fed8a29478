{#-
    The post-hooks of the *_landing_checked models: number the lines, then quarantine the
    lines the reader could not take. On DuckDB they run after the table's commit: an UPDATE
    in the transaction that wrote the table makes the commit rewrite it (19 s instead of
    3 s at 1M customers). dbt-spark runs only in-transaction hooks (Spark has none).
-#}
{% macro landing_post_hooks(source_name) %}
    {% set hooks = [
        "{{ number_landing_lines() }}",
        "{{ record_unreadable_lines('" ~ source_name ~ "') }}",
    ] %}
    {% set in_transaction = target.type != 'duckdb' %}
    {% set configured = [] %}
    {% for hook in hooks %}
        {% do configured.append({'sql': hook, 'transaction': in_transaction}) %}
    {% endfor %}
    {{ return(configured) }}
{% endmacro %}
