{#-
    subject_id: a keyed hash of the customer key. The key comes from
    STEDI_PSEUDONYM_KEY and reaches the engine without being written into compiled SQL
    or logs: on DuckDB as a session variable set by stedi/dbt_plugin.py; on Spark as the
    session setting spark.stedi.pseudonym_key (profiles.yml), which Spark substitutes for
    ${spark.stedi.pseudonym_key} when it parses the statement.
-#}
{% macro subject_id(customer_key) %}
    {{ return(adapter.dispatch('subject_id', 'stedi')(customer_key)) }}
{% endmacro %}

{% macro duckdb__subject_id(customer_key) -%}
    {{ sha256_hex("getvariable('stedi_pseudonym_key') || chr(31) || " ~ customer_key) }}
{%- endmacro %}

{% macro spark__subject_id(customer_key) -%}
    {{ sha256_hex(spark__pseudonym_key() ~ " || chr(31) || " ~ customer_key) }}
{%- endmacro %}

{#- Public on purpose, as in stedi/dbt_plugin.py: a build without a key says so. -#}
{% macro development_pseudonym_key() %}stedi-development-key-do-not-use-in-production{% endmacro %}

{#-
    The setting holds 'key:' and the URL-encoded key (profiles.yml), so no character of the
    key can end the string literal or start another ${...}; an empty key means none was set.
-#}
{% macro spark__pseudonym_key() -%}
    coalesce(
        nullif(url_decode(substr('${spark.stedi.pseudonym_key}', 5)), ''),
        '{{ development_pseudonym_key() }}'
    )
{%- endmacro %}

{#- on-run-start: fail when the engine cannot see the key setting, warn when it is empty. -#}
{% macro check_pseudonym_key() %}
    {{ return(adapter.dispatch('check_pseudonym_key', 'stedi')()) }}
{% endmacro %}

{% macro default__check_pseudonym_key() %}
{% endmacro %}

{% macro spark__check_pseudonym_key() %}
    {% if execute %}
        {% set state = run_query(
            "select case when '${spark.stedi.pseudonym_key}' = 'key:' then 'empty'"
            ~ " when '${spark.stedi.pseudonym_key}' like 'key:%' then 'set' else 'missing' end"
        ).columns[0].values()[0] %}
        {% if state == 'missing' %}
            {{ exceptions.raise_compiler_error(
                "The Spark setting spark.stedi.pseudonym_key is missing: add it to the target's"
                ~ " server_side_parameters as in profiles.yml."
            ) }}
        {% elif state == 'empty' %}
            {{ exceptions.warn(
                "STEDI_PSEUDONYM_KEY is not set: subject_id uses the public development key."
                ~ " Set a secret key before sharing machine_learning_curated."
            ) }}
        {% endif %}
    {% endif %}
{% endmacro %}
