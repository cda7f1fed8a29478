{#-
    Zones are schemas. Trusted and curated models are built and tested in
    <zone>_audit; publish_verified_zones copies them into <zone> once every test passed.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name in audited_zones() -%}
        {{ custom_schema_name }}_audit
    {%- elif custom_schema_name -%}
        {{ custom_schema_name }}
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}

{% macro audited_zones() %}
    {{ return(['trusted', 'curated']) }}
{% endmacro %}
