{#-
    Zones are schemas. Trusted and curated models are built and tested in
    <zone>_audit; publish_verified_zones points <zone>.<table> at them once every test
    passed (under rubric: <zone>_rubric_audit and <zone>_rubric). `make docs` documents <zone>.<table>, what consumers query, with the var
    docs_show_published: a change of vars makes dbt parse anew, so the next build never
    reuses a parse that names the published relations (flags.WHICH would not: dbt's
    partial parsing would carry the docs' schemas into the next build).
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name in audited_zones() -%}
        {{ published_schema(custom_schema_name) }}{{ '_audit' if not var('docs_show_published', false) }}
    {%- elif custom_schema_name -%}
        {{ custom_schema_name }}
    {%- else -%}
        {{ target.schema }}
    {%- endif -%}
{%- endmacro %}

{% macro audited_zones() %}
    {{ return(['trusted', 'curated']) }}
{% endmacro %}

{#-
    Policies never mix: the default policy publishes to <zone>; any other to
    <zone>_<policy> (trusted_rubric, curated_rubric), with audit schemas, lake prefixes and
    Glue databases of its own, so a rubric build leaves the strict tables untouched.
-#}
{% macro policy_suffix() %}
    {{ return('' if var('consent_policy') == 'strict' else '_' ~ var('consent_policy')) }}
{% endmacro %}

{% macro published_schema(zone) %}
    {{ return(zone ~ policy_suffix()) }}
{% endmacro %}

{#- on-run-start: docs_show_published is for `dbt docs generate` only; a build with it would
    write unverified tables where consumers read. -#}
{% macro check_docs_var() %}
    {% if var('docs_show_published', false) and flags.WHICH != 'generate' %}
        {{ exceptions.raise_compiler_error(
            "The var docs_show_published is for `dbt docs generate` (make docs) only: drop it."
        ) }}
    {% endif %}
{% endmacro %}
