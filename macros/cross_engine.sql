{#- SQL that differs between engines: one dispatch macro per difference. -#}

{% macro epoch_ms_to_timestamp(epoch_ms) %}
    {{ return(adapter.dispatch('epoch_ms_to_timestamp', 'stedi')(epoch_ms)) }}
{% endmacro %}

{% macro default__epoch_ms_to_timestamp(epoch_ms) -%}
    timestamp_millis({{ epoch_ms }})
{%- endmacro %}

{% macro duckdb__epoch_ms_to_timestamp(epoch_ms) -%}
    epoch_ms({{ epoch_ms }})
{%- endmacro %}

{#- Hex SHA-256 of a text value. -#}
{% macro sha256_hex(value) %}
    {{ return(adapter.dispatch('sha256_hex', 'stedi')(value)) }}
{% endmacro %}

{% macro default__sha256_hex(value) -%}
    sha2({{ value }}, 256)
{%- endmacro %}

{% macro duckdb__sha256_hex(value) -%}
    sha256({{ value }})
{%- endmacro %}

{#- Every column of the relation in the FROM clause but `columns`. -#}
{% macro all_columns_except(columns) %}
    {{ return(adapter.dispatch('all_columns_except', 'stedi')(columns)) }}
{% endmacro %}

{% macro default__all_columns_except(columns) -%}
    * except ({{ columns | join(', ') }})
{%- endmacro %}

{% macro duckdb__all_columns_except(columns) -%}
    * exclude ({{ columns | join(', ') }})
{%- endmacro %}
