{#-
    The post-hooks of the *_landing_checked models: number the lines, then quarantine the
    lines the reader could not take, then the lines of damaged .json.gz files.
-#}
{% macro landing_post_hooks(source_name) %}
    {% set hooks = [
        "{{ number_landing_lines() }}",
        "{{ record_unreadable_lines('" ~ source_name ~ "') }}",
        "{{ record_damaged_files() }}",
    ] %}
    {% set in_transaction = landing_post_hooks_in_transaction() %}
    {% set configured = [] %}
    {% for hook in hooks %}
        {% do configured.append({'sql': hook, 'transaction': in_transaction}) %}
    {% endfor %}
    {{ return(configured) }}
{% endmacro %}

{% macro landing_post_hooks_in_transaction() %}
    {{ return(adapter.dispatch('landing_post_hooks_in_transaction', 'stedi')()) }}
{% endmacro %}

{#- dbt-spark runs only in-transaction hooks (Spark has no transactions). -#}
{% macro default__landing_post_hooks_in_transaction() %}
    {{ return(true) }}
{% endmacro %}

{#-
    After the table's commit: an UPDATE in the transaction that wrote the table makes the
    commit rewrite it (19 s instead of 3 s at 1M customers).
-#}
{% macro duckdb__landing_post_hooks_in_transaction() %}
    {{ return(false) }}
{% endmacro %}
