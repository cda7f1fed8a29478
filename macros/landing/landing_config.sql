{#- Where the landing zone is, and how a value becomes a safe SQL literal. -#}

{% macro landing_root() -%}
    {{ return(env_var('STEDI_LANDING', 'data/landing').rstrip('/')) }}
{%- endmacro %}

{% macro lake_root() -%}
    {{ return(env_var('STEDI_LAKE', target_default('lake')).rstrip('/')) }}
{%- endmacro %}

{#-
    A default location in the project's data/ folder: data/<name> for the local target,
    data/<target>/<name> for the others, so no target overwrites another's files. Resolved
    against the project folder (--project-dir) wherever dbt is started; stedi/dbt_plugin.py
    follows the same rule for the database file and the lake's lock.
-#}
{% macro target_default(name) -%}
    {%- set folder = 'data/' if target.name in ('local', 'lint') else 'data/' ~ target.name ~ '/' -%}
    {%- set project = invocation_args_dict.get('project_dir') -%}
    {{ return((project.rstrip('/') ~ '/' if project else '') ~ folder ~ name) }}
{%- endmacro %}

{#- `dbt run-operation stedi_locations [--target …]`: where this target reads and writes. -#}
{% macro stedi_locations() %}
    {{ log("landing: " ~ landing_root(), info=True) }}
    {{ log("lake: " ~ lake_root(), info=True) }}
    {{ log("data scientists' file: " ~ handover_file(), info=True) }}
{% endmacro %}

{#- Paths come from the environment: quote them so no value can change the SQL. -#}
{% macro sql_string(value) -%}
    {{ return(adapter.dispatch('sql_string', 'stedi')(value)) }}
{%- endmacro %}

{% macro default__sql_string(value) -%}
    '{{ value | string | replace("'", "''") }}'
{%- endmacro %}

{#- Spark reads '' as two adjacent literals (so 'it''s' is "its"): escape with backslashes. -#}
{% macro spark__sql_string(value) -%}
    '{{ value | string | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}


{#- Fail fast, in one line, when a landing folder is missing or empty. -#}
{% macro check_landing_folders() %}
    {{ return(adapter.dispatch('check_landing_folders', 'stedi')()) }}
{% endmacro %}

{% macro default__check_landing_folders() %}
{% endmacro %}

{% macro spark__check_landing_folders() %}
    {% if execute %}
        {% for source_name in landing_source_names() %}
            {% set found = run_query(
                "select count(*) from (select 1 from landing." ~ source_name ~ "__files limit 1)"
            ).columns[0].values()[0] %}
            {% if found == 0 %}
                {{ exceptions.raise_compiler_error(
                    "No landing files (*.json, *.json.gz) in '" ~ landing_root() ~ '/' ~ source_name
                    ~ "'. Set STEDI_LANDING to the landing folder (it holds customer/, accelerometer/, step_trainer/)."
                ) }}
            {% endif %}
        {% endfor %}
    {% endif %}
{% endmacro %}

{% macro duckdb__check_landing_folders() %}
    {% if execute %}
        {% for source_name in landing_source_names() %}
            {% set folder = landing_root() ~ '/' ~ source_name %}
            {% set found = run_query(
                "select count(*) from glob(" ~ sql_string(folder ~ '/*.json*') ~ ")"
            ).columns[0].values()[0] %}
            {% if found == 0 %}
                {{ exceptions.raise_compiler_error(
                    "No landing files (*.json, *.json.gz) in '" ~ folder
                    ~ "'. Set STEDI_LANDING to the landing folder (it holds customer/, accelerometer/, step_trainer/)."
                ) }}
            {% endif %}
        {% endfor %}
    {% endif %}
{% endmacro %}
