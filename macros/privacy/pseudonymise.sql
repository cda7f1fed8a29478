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
    The setting holds 'key:' and the hex of the key's UTF-8 bytes (profiles.yml), so no
    character of the key can end the string literal or start another ${...}, and no word of
    it can make Spark redact it; check_pseudonym_key has made sure it is not empty.
-#}
{% macro spark__pseudonym_key() -%}
    cast(unhex(substr('${spark.stedi.pseudonym_key}', 5)) as string)
{%- endmacro %}

{#- on-run-start: fail when the engine cannot see the key setting or it is empty. -#}
{% macro check_pseudonym_key() %}
    {{ return(adapter.dispatch('check_pseudonym_key', 'stedi')()) }}
{% endmacro %}

{% macro default__check_pseudonym_key() %}
{% endmacro %}

{#-
    The key must arrive whole: a value that is not 'key:' and hex (the setting was never
    sent, a Thrift server dropped it, or Spark redacted it) stops the build rather than
    hashing subjects with some other text.
-#}
{% macro spark__check_pseudonym_key() %}
    {% if execute %}
        {% set state = run_query(
            "select case when '${spark.stedi.pseudonym_key}' = 'key:' then 'empty'"
            ~ " when '${spark.stedi.pseudonym_key}' rlike '^key:([0-9a-f][0-9a-f])+$' then 'set'"
            ~ " when '${spark.stedi.pseudonym_key}' like '%(redacted)%' then 'redacted'"
            ~ " else 'missing' end"
        ).columns[0].values()[0] %}
        {% if state == 'missing' %}
            {{ exceptions.raise_compiler_error(
                "The Spark setting spark.stedi.pseudonym_key did not reach the Spark session:"
                ~ " add it to the target's server_side_parameters as in profiles.yml"
                ~ " (under `set:hiveconf:` for a Thrift server)."
            ) }}
        {% elif state == 'redacted' %}
            {{ exceptions.raise_compiler_error(
                "Spark redacted the setting spark.stedi.pseudonym_key (its spark.redaction.regex"
                ~ " matches it): subject ids would not be keyed. Exclude it from that pattern."
            ) }}
        {% elif state == 'empty' %}
            {{ exceptions.raise_compiler_error(
                "STEDI_PSEUDONYM_KEY is not set: `make run TARGET=spark` hands Spark the project's"
                ~ " generated key (python -m stedi.keys prints it), or set your own."
            ) }}
        {% endif %}
    {% endif %}
{% endmacro %}
