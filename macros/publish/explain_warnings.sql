{#-
    on-run-end: dbt's warning names a test; this says where to look. For every test that
    warned, one line with the relation it watches and the command that shows it.
-#}
{% macro explain_warnings(results) %}
    {% if not execute %}{{ return('') }}{% endif %}
    {% for result in results if result.status == 'warn' and result.node.resource_type == 'test' %}
        {% set watched = [] %}
        {% for unique_id in result.node.depends_on.nodes if unique_id in graph.nodes %}
            {% set parent = graph.nodes[unique_id] %}
            {% set schema = published_schema(parent.config.schema) if parent.config.schema in audited_zones() else parent.schema %}
            {% do watched.append(schema ~ '.' ~ parent.alias) %}
        {% endfor %}
        {{ log("Warning " ~ result.node.name ~ ": " ~ result.failures ~ " flagged; look at "
            ~ watched | join(', ') ~ " (or `make report`)", info=True) }}
    {% endfor %}
{% endmacro %}
