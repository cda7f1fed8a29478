{#-
    subject_id: a keyed hash of the customer key. The key comes from
    STEDI_PSEUDONYM_KEY and reaches the engine as a session variable set by
    stedi/dbt_plugin.py, so it is never written into compiled SQL or logs.
-#}
{% macro subject_id(customer_key) %}
    {{ return(adapter.dispatch('subject_id', 'stedi')(customer_key)) }}
{% endmacro %}

{% macro duckdb__subject_id(customer_key) -%}
    {{ sha256_hex("getvariable('stedi_pseudonym_key') || chr(31) || " ~ customer_key) }}
{%- endmacro %}
