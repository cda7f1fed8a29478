-- strict: the data set for data scientists carries no direct identifier. Fails when
-- machine_learning_curated is documented with a column flagged `pii`, or when its
-- built relation has a column whose name is flagged `pii` anywhere in the project.
{{ config(enabled=var('consent_policy') == 'strict', tags=['privacy']) }}
-- depends_on: {{ ref('machine_learning_curated') }}

{%- set pii_names = [] -%}
{%- set documented_pii = [] -%}
{%- if execute -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
        {%- for column in node.columns.values()
            if column.meta.get('pii') or column.config.get('meta', {}).get('pii') -%}
            {%- do pii_names.append(column.name | lower) -%}
            {%- if node.name == 'machine_learning_curated' -%}
                {%- do documented_pii.append(column.name | lower) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endif -%}

{%- set built_columns = adapter.get_columns_in_relation(ref('machine_learning_curated')) if execute else [] -%}
{%- set offending = [] -%}
{%- for column in built_columns if column.name | lower in pii_names -%}
    {%- do offending.append(column.name | lower) -%}
{%- endfor -%}
{%- do offending.extend(documented_pii) %}

{% if offending %}
    {% for name in offending | unique %}
select '{{ name }}' as pii_column
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
{% else %}
-- {{ built_columns | length }} columns checked against {{ pii_names | unique | list | length }} PII names
    select 'none' as pii_column
    where 1 = 0
{% endif %}
