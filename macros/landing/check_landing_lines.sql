{#-
    Every line of a landing source, parsed once: its typed fields, or why it is rejected.
    Only the parsing differs per engine (landing_field_values); the checks, their order
    and the typed values are written once, so both engines give a line the same verdict.
-#}
{% macro check_landing_lines(source_relation, fields) %}
with {{ landing_field_values(source_relation, fields) }},

checked_lines as (

    select
        source_file,
        line_number,
        line,
        {%- for field in fields %}
        {%- if field.type == 'string' %}
        {{ field.column }},
        {%- else %}
        {{ landing_typed_value(field) }} as {{ field.column }},
        {%- endif %}
        {%- endfor %}
{{ landing_line_verdict(landing_checks(fields)) }}
    from field_values

)

select
    -- lineage: on DuckDB the line number is set by the post-hooks (landing_post_hooks)
    checked_lines.source_file,
    line_number,
    -- verdict
    rejection_reason,
    rejected_field,
    case when rejection_reason is not null then line end as rejected_line,
    -- typed fields
    {%- for field in fields %}
    {{ field.column }},
    {%- endfor %}
    -- the file's size and modification time when it was read (landing_ledger.sql)
    file_stamps.file_bytes,
    file_stamps.file_modified_ms
from checked_lines
left join {{ landing_file_stamps(source_relation.identifier) }} as file_stamps
    on checked_lines.source_file = file_stamps.source_file
{% endmacro %}

{#- Epoch milliseconds accepted as plausible: 2000-01-01 up to 2100-01-01. -#}
{% macro min_plausible_epoch_ms() %}946684800000{% endmacro %}
{% macro max_plausible_epoch_ms() %}4102444800000{% endmacro %}

{#- Beyond this a JSON number read as a double is no longer an exact integer. -#}
{% macro max_exact_integer() %}9.0e15{% endmacro %}

{#-
    The ordered checks, (condition, reason, JSON key); the first that holds wins. Over the
    columns of field_values: has_raw_values, raw_<column> (the value as text), <column>
    for text and <column>_value (a double) for numbers.
-#}
{% macro landing_checks(fields) %}
    {%- set checks = [] %}
    {%- for field in fields if field.required %}
        {%- do checks.append(('has_raw_values and raw_' ~ field.column ~ ' is null', 'missing_required_field', field.key)) %}
    {%- endfor %}
    {%- for field in fields %}
        {%- set present = 'has_raw_values and raw_' ~ field.column ~ ' is not null' %}
        {%- set value = field.column ~ '_value' %}
        {%- if field.type == 'string' %}
            {%- do checks.append((present ~ ' and ' ~ field.column ~ ' is null', 'wrong_type', field.key)) %}
        {%- elif field.type == 'double' %}
            {%- do checks.append((present ~ ' and ' ~ value ~ ' is null', 'wrong_type', field.key)) %}
            {%- do checks.append(('not (' ~ landing_is_finite(value) ~ ')', 'out_of_range', field.key)) %}
        {%- else %}
            {#- 12.5 must not be rounded into a valid integer -#}
            {%- do checks.append((
                '(' ~ present ~ ' and ' ~ value ~ ' is null) or not (' ~ landing_is_whole_number(value) ~ ')',
                'wrong_type', field.key)) %}
            {%- if field.type == 'epoch_ms' %}
                {%- do checks.append((
                    value ~ ' not between ' ~ min_plausible_epoch_ms() ~ ' and ' ~ max_plausible_epoch_ms(),
                    'out_of_range', field.key)) %}
            {%- else %}
                {%- do checks.append(('abs(' ~ value ~ ') >= ' ~ max_exact_integer(), 'out_of_range', field.key)) %}
            {%- endif %}
        {%- endif %}
    {%- endfor %}
    {{ return(checks) }}
{% endmacro %}

{#- A problem with the document itself (column document_problem) wins over every check. -#}
{% macro landing_line_verdict(checks) %}
        case
            when document_problem is not null then document_problem
            {%- for condition, reason, key in checks %}
            when {{ condition }} then '{{ reason }}'
            {%- endfor %}
        end as rejection_reason,
        case
            when document_problem is not null then null
            {%- for condition, reason, key in checks %}
            when {{ condition }} then '{{ key }}'
            {%- endfor %}
        end as rejected_field
{%- endmacro %}

{#- The typed value of a number field; null when a check fails. -#}
{% macro landing_typed_value(field) %}
    {%- set value = field.column ~ '_value' %}
    {%- if field.type == 'double' -%}
        case when {{ landing_is_finite(value) }} then {{ value }} end
    {%- else -%}
        case
            when {{ landing_is_whole_number(value) }} and abs({{ value }}) < {{ max_exact_integer() }}
                then cast({{ value }} as bigint)
        end
    {%- endif %}
{%- endmacro %}

{% macro landing_is_finite(value) %}
    {{- return(adapter.dispatch('landing_is_finite', 'stedi')(value)) -}}
{% endmacro %}

{% macro duckdb__landing_is_finite(value) -%}
    isfinite({{ value }})
{%- endmacro %}

{% macro spark__landing_is_finite(value) -%}
    not isnan({{ value }}) and abs({{ value }}) != double('infinity')
{%- endmacro %}

{#- NaN and infinities count as whole on both engines: out_of_range catches them. -#}
{% macro landing_is_whole_number(value) %}
    {{- return(adapter.dispatch('landing_is_whole_number', 'stedi')(value)) -}}
{% endmacro %}

{% macro duckdb__landing_is_whole_number(value) -%}
    {{ value }} = trunc({{ value }})
{%- endmacro %}

{#- Spark has no numeric trunc(). -#}
{% macro spark__landing_is_whole_number(value) -%}
    {{ value }} = round({{ value }}, 0)
{%- endmacro %}

{#-
    The CTEs up to field_values: per line source_file, line_number, line, document_problem
    (empty_line, invalid_json, not_a_json_object), and the columns landing_checks reads.
-#}
{% macro landing_field_values(source_relation, fields) %}
    {{- return(adapter.dispatch('landing_field_values', 'stedi')(source_relation, fields)) -}}
{% endmacro %}

{#-
    DuckDB: the JSON path of the first key of a document that is `key` in any capitalisation
    (the landing checks read `Email` as `email`; so does the erasure).
-#}
{% macro json_path_any_case(document, key) -%}
    '$."' || replace(list_filter(
        json_keys({{ document }}), json_key -> lower(json_key) = {{ sql_string(key | lower) }}
    )[1], '"', '\"') || '"'
{%- endmacro %}

{#- DuckDB: the text of `key` in a document, the exact key first, then any capitalisation of it. -#}
{% macro json_text_any_case(document, key) -%}
    coalesce(
        json_extract_string({{ document }}, {{ sql_string('$."' ~ key ~ '"') }}),
        json_extract_string({{ document }}, {{ json_path_any_case(document, key) }})
    )
{%- endmacro %}

{#-
    DuckDB. Fast path: one typed parse per line (numbers as DOUBLE, so a fraction where an
    integer belongs is seen). Only lines the fast parse cannot vouch for take the exact
    path, which reads every value as text: an expected key left empty (not JSON, not an
    object, a key missing, in another case or of the wrong type), or `true`/`false` in the
    line (a JSON boolean where a number belongs would parse as 1 or 0).
    No line numbers here: a window over the scan would put the whole parse on one thread;
    the table keeps the scan's order and number_landing_lines numbers it afterwards.
-#}
{#-
    The JSON document of a line: trailing commas after the object are tolerated (the 2022
    step-trainer export); rtrim with a character set is slow, so only for lines that need it.
-#}
{% macro landing_document(line) -%}
    case
        when ends_with({{ line }}, ',') or ends_with({{ line }}, ' ') or ends_with({{ line }}, chr(9))
            then rtrim({{ line }}, ' ,' || chr(9))
        else {{ line }}
    end
{%- endmacro %}

{% macro duckdb__landing_field_values(source_relation, fields) %}
{%- set typed_structure, text_structure = {}, {} -%}
{%- for field in fields -%}
    {%- do typed_structure.update({field.key: 'VARCHAR' if field.type == 'string' else 'DOUBLE'}) -%}
    {%- do text_structure.update({field.key: 'VARCHAR'}) -%}
{%- endfor -%}
landing_lines as (

    select
        filename as source_file,
        line,
        {{ landing_document('line') }} as document
    from {{ source_relation }}
    where {{ landing_files_to_read(source_relation.identifier) }}

),

fast_parse as (

    select
        source_file,
        line,
        document,
        try(from_json(document, {{ sql_string(tojson(typed_structure)) }})) as typed_values
    from landing_lines

),

routed_lines as (

    select
        *,
        typed_values is null
        {%- for field in fields %}
        or typed_values[{{ sql_string(field.key) }}] is null
        {%- if field.type == 'string' %}
        or left(typed_values[{{ sql_string(field.key) }}], 1) in ('{', '[')
        {%- endif %}
        {%- endfor %}
        or contains(document, 'true')
        or contains(document, 'false') as needs_exact_check
    from fast_parse

),

exact_parse as (

    select
        *,
        case
            when not needs_exact_check then null
            when line is null or regexp_full_match(line, '\s*') then 'empty_line'
            when not json_valid(document) then 'invalid_json'
            when json_type(document) != 'OBJECT' then 'not_a_json_object'
        end as document_problem,
        case
            when needs_exact_check and document_problem is null
                then from_json(document, {{ sql_string(tojson(text_structure)) }})
        end as text_values
    from routed_lines

),

raw_values as (

    select
        *,
        {%- for field in fields %}
        -- '{{ field.key }}' as text, also under any other capitalisation (exact path only)
        case
            when text_values is null then null
            when text_values[{{ sql_string(field.key) }}] is not null
                then text_values[{{ sql_string(field.key) }}]
            else json_extract_string(document, {{ json_path_any_case('document', field.key) }})
        end as raw_{{ field.column }},
        {%- endfor %}
        needs_exact_check and document_problem is null as has_raw_values
    from exact_parse

),

field_values as (

    select
        *,
        cast(null as bigint) as line_number,
        {%- for field in fields %}
        {%- set fast = "typed_values[" ~ sql_string(field.key) ~ "]" %}
        {%- set raw = "raw_" ~ field.column %}
        {%- if field.type == 'string' %}
        case
            when needs_exact_check
                then case when left({{ raw }}, 1) not in ('{', '[') then {{ raw }} end
            else {{ fast }}
        end as {{ field.column }}{{ "," if not loop.last }}
        {%- else %}
        -- JSON booleans and text that is no number become null
        case
            when needs_exact_check then try_cast({{ raw }} as double)
            else {{ fast }}
        end as {{ field.column }}_value{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from raw_values

)
{%- endmacro %}

{#-
    Spark. The source view numbers each line within its file and leaves out the lines
    that are not UTF-8 or too long (record_unreadable_lines adds those). Spark's strict
    parser checks the JSON; the object's values are read once as texts, nested objects and
    arrays as JSON text, like DuckDB's json_extract_string. Spark 4 runs in ANSI mode, so
    every conversion is a try_ function.
-#}
{% macro spark__landing_field_values(source_relation, fields) %}
landing_lines as (

    select
        filename as source_file,
        line_number,
        line,
        -- tolerate one trailing comma after the object (the 2022 step-trainer export)
        regexp_replace(trim(line), '\\}[ \\t\\n\\f\\r]*,$', '}') as document
    from {{ source_relation }}

),

parsed_documents as (

    select
        source_file,
        line_number,
        line,
        document,
        case
            when line is null or line rlike '^[ \\t\\n\\f\\r]*$' then 'empty_line'
            when try_parse_json(document) is null then 'invalid_json'
            -- the parser stops after the first value: '{} x' must not pass
            when coalesce(json_array_length(concat('[', document, ']')), 0) != 1 then 'invalid_json'
            when json_object_keys(document) is null then 'not_a_json_object'
        end as document_problem
    from landing_lines

),

objects as (

    select
        source_file,
        line_number,
        line,
        document_problem,
        case
            when document_problem is null then from_json(document, 'map<string, string>')
        end as values_by_key
    from parsed_documents

),

raw_values as (

    select
        source_file,
        line_number,
        line,
        document_problem,
        document_problem is null as has_raw_values,
        {%- for field in fields %}
        -- '{{ field.key }}', also under any other capitalisation (the first such key)
        coalesce(
            try_element_at(values_by_key, {{ sql_string(field.key) }}),
            try_element_at(
                map_values(map_filter(values_by_key, (json_key, json_value) -> lower(json_key) = {{ sql_string(field.key | lower) }})),
                1
            )
        ) as raw_{{ field.column }}{{ "," if not loop.last }}
        {%- endfor %}
    from objects

),

field_values as (

    select
        *,
        {%- for field in fields %}
        {%- set raw = "raw_" ~ field.column %}
        {%- if field.type == 'string' %}
        case when left({{ raw }}, 1) not in ('{', '[') then {{ raw }} end as {{ field.column }}{{ "," if not loop.last }}
        {%- else %}
        -- Spark's cast also takes Java's suffixes ('1d', '2f'); DuckDB does not
        case
            when not {{ raw }} rlike '[dDfF][ \t\n\f\r]*$' then try_cast({{ raw }} as double)
        end as {{ field.column }}_value{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from raw_values

)
{%- endmacro %}
