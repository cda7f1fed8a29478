{#-
    `dbt source freshness`: when the newest file of a landing source was written (the
    source's loaded_at_query). Files are what lands, so their age is the feed's age.
-#}
{% macro newest_landing_file(source_name) %}
    {{ return(adapter.dispatch('newest_landing_file', 'stedi')(source_name)) }}
{% endmacro %}

{% macro duckdb__newest_landing_file(source_name) %}
    select max(last_modified)
    from read_blob({{ sql_string(landing_root() ~ '/' ~ source_name ~ '/*.json*') }})
{% endmacro %}

{#- landing.<source>__files is the table prepare_landing_sources puts over the folder. -#}
{% macro spark__newest_landing_file(source_name) %}
    select max(_metadata.file_modification_time) from landing.{{ source_name }}__files
{% endmacro %}
