{#-
    subject_id: a keyed hash of the customer key. The key (stedi/keys.py: STEDI_PSEUDONYM_KEY,
    or a random key generated once into a local file) reaches the engine without being
    written into compiled SQL or logs: on DuckDB as a session variable set by stedi/dbt_plugin.py; on Spark as the
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

{#-
    The setting holds 'key:' and the URL-encoded key (profiles.yml), so no character of the
    key can end the string literal or start another ${...}; check_pseudonym_key has made
    sure it is not empty.
-#}
{% macro spark__pseudonym_key() -%}
    url_decode(substr('${spark.stedi.pseudonym_key}', 5))
{%- endmacro %}

{#- on-run-start: fail when the engine cannot see the key setting or it is empty. -#}
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
            {{ exceptions.raise_compiler_error(
                "STEDI_PSEUDONYM_KEY is not set: `make run TARGET=spark` hands Spark the project's"
                ~ " generated key (python -m stedi.keys prints it), or set your own."
            ) }}
        {% endif %}
    {% endif %}
{% endmacro %}
