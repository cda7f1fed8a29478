{#-
    The landing contract of one source, as declared in models/staging/_landing__sources.yml,
    in declared order. At parse time `graph` is empty: the list is empty then, and the
    models are rendered again, with it, when they run.
-#}
{% macro landing_fields(source_name) %}
    {%- if not execute %}{{ return([]) }}{% endif %}
    {%- set source_node = graph.sources.get('source.stedi.landing.' ~ source_name) %}
    {%- if source_node is none or not source_node.columns %}
        {{ exceptions.raise_compiler_error(
            "landing source '" ~ source_name ~ "' declares no columns in models/staging/_landing__sources.yml"
        ) }}
    {%- endif %}
    {%- set fields = [] %}
    {%- for column in source_node.columns.values() %}
        {%- set meta = column.config.get('meta', {}) if column.config else {} %}
        {%- set meta = meta or column.meta %}
        {%- if meta.get('json_key') is not string
            or meta.get('check_type') not in ('string', 'bigint', 'double', 'epoch_ms')
            or meta.get('required') not in (true, false) %}
            {{ exceptions.raise_compiler_error(
                "landing." ~ source_name ~ "." ~ column.name ~ ": config.meta needs json_key (text),"
                ~ " check_type (string, bigint, double or epoch_ms) and required (true or false)"
            ) }}
        {%- endif %}
        {%- do fields.append({
            'key': meta.json_key,
            'column': column.name,
            'type': meta.check_type,
            'required': meta.required,
            'description': column.description,
        }) %}
    {%- endfor %}
    {{ return(fields) }}
{% endmacro %}
