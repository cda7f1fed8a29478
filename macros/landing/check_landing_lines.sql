{#-
    Every line of a landing source, parsed once: its typed fields, or the reason it
    is rejected. `fields` (see landing_fields) lists the JSON keys the source should have:
      {'key': JSON key, 'column': column name, 'type': 'string'|'bigint'|'double'|'epoch_ms',
       'required': true|false}
    Keys are matched case-insensitively, a trailing comma after the object is tolerated,
    numbers written as JSON strings are read as numbers, and unknown keys are ignored.
-#}
{% macro check_landing_lines(source_relation, fields) %}
    {{ return(adapter.dispatch('check_landing_lines', 'stedi')(source_relation, fields)) }}
{% endmacro %}

{#- Epoch milliseconds accepted as plausible: 2000-01-01 up to 2100-01-01. -#}
{% macro min_plausible_epoch_ms() %}946684800000{% endmacro %}
{% macro max_plausible_epoch_ms() %}4102444800000{% endmacro %}

{#- Integers are accepted up to this magnitude: beyond it a JSON number read as a double
    (DuckDB's fast path) is no longer exact, so larger ones are out_of_range on both engines. -#}
{% macro max_exact_integer() %}9.0e15{% endmacro %}

{#-
    rejection_reason and rejected_field of a line, on both engines: a problem with the
    document itself (column document_problem) first, then `checks`, a list of
    (condition, reason, offending key) in order; the first that holds wins.
-#}
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

{#-
    DuckDB. Fast path: one typed parse per line (numbers as DOUBLE, so a fraction where an
    integer belongs is seen). A line takes the exact path, which reads every value as text
    and classifies what is wrong, only when the fast parse left an expected key empty (not
    JSON, not an object, a key missing, in another case or of the wrong type) or when the
    line holds `true`/`false` (a JSON boolean where a number belongs would parse as 1 or 0).
    Line numbers are not computed here: a window over the scan would force the whole
    query, parse included, onto one thread. The table keeps the scan's order, and the
    number_landing_lines post-hook numbers the lines from it.
-#}
{% macro duckdb__check_landing_lines(source_relation, fields) %}
{%- set typed_structure, text_structure = {}, {} -%}
{%- for field in fields -%}
    {%- do typed_structure.update({field.key: 'VARCHAR' if field.type == 'string' else 'DOUBLE'}) -%}
    {%- do text_structure.update({field.key: 'VARCHAR'}) -%}
{%- endfor %}
with landing_lines as (

    select
        filename as source_file,
        line,
        -- tolerate trailing commas after the object (the 2022 step-trainer export);
        -- rtrim with a character set is slow, so only for lines that need it
        case
            when ends_with(line, ',') or ends_with(line, ' ') or ends_with(line, chr(9))
                then rtrim(line, ' ,' || chr(9))
            else line
        end as document
    from {{ source_relation }}

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
            else json_extract_string(
                document,
                '$."' || replace(list_filter(
                    json_keys(document), json_key -> lower(json_key) = {{ sql_string(field.key | lower) }}
                )[1], '"', '\"') || '"'
            )
        end as raw_{{ field.column }},
        {%- endfor %}
        needs_exact_check and document_problem is null as is_exact_object
    from exact_parse

),

typed_fields as (

    select
        *,
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
        -- numbers as DOUBLE first; JSON booleans and text that is no number become null
        case
            when needs_exact_check then try_cast({{ raw }} as double)
            else {{ fast }}
        end as {{ field.column }}_value{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from raw_values

),

checked_lines as (

    select
        source_file,
        line,
        {%- for field in fields %}
        {%- if field.type == 'string' %}
        {{ field.column }},
        {%- elif field.type == 'double' %}
        case when isfinite({{ field.column }}_value) then {{ field.column }}_value end as {{ field.column }},
        {%- else %}
        -- integers only: 12.5 must not be rounded into a valid value
        case
            when {{ field.column }}_value = trunc({{ field.column }}_value)
                and abs({{ field.column }}_value) < {{ max_exact_integer() }}
                then cast({{ field.column }}_value as bigint)
        end as {{ field.column }},
        {%- endif %}
        {%- endfor %}
        {#- the checks in order: (condition, reason, offending key); the first that holds wins -#}
        {%- set checks = [] %}
        {%- for field in fields if field.required %}
            {%- do checks.append(('is_exact_object and raw_' ~ field.column ~ ' is null', 'missing_required_field', field.key)) %}
        {%- endfor %}
        {%- for field in fields %}
            {%- set value = field.column if field.type == 'string' else field.column ~ '_value' %}
            {%- do checks.append(('is_exact_object and raw_' ~ field.column ~ ' is not null and ' ~ value ~ ' is null', 'wrong_type', field.key)) %}
            {%- if field.type == 'double' %}
                {%- do checks.append(('not isfinite(' ~ value ~ ')', 'out_of_range', field.key)) %}
            {%- elif field.type in ('bigint', 'epoch_ms') %}
                {%- do checks.append((value ~ ' != trunc(' ~ value ~ ')', 'wrong_type', field.key)) %}
            {%- endif %}
            {%- if field.type == 'epoch_ms' %}
                {%- do checks.append((value ~ ' not between ' ~ min_plausible_epoch_ms() ~ ' and ' ~ max_plausible_epoch_ms(), 'out_of_range', field.key)) %}
            {%- endif %}
            {%- if field.type in ('bigint', 'epoch_ms') %}
                {#- a whole number too large (or not finite) to be an exact integer -#}
                {%- do checks.append((value ~ ' is not null and ' ~ field.column ~ ' is null', 'out_of_range', field.key)) %}
            {%- endif %}
        {%- endfor %}
        {{ landing_line_verdict(checks) }}
    from typed_fields

)

select
    -- lineage: the line's position in its file (set by number_landing_lines and, past
    -- unreadable lines, by record_unreadable_lines)
    source_file,
    cast(null as bigint) as line_number,
    -- verdict
    rejection_reason,
    rejected_field,
    case when rejection_reason is not null then line end as rejected_line,
    -- typed fields
    {%- for field in fields %}
    {{ field.column }}{{ "," if not loop.last }}
    {%- endfor %}
from checked_lines
{% endmacro %}

{#-
    The same verdicts on Spark. The source view already numbers each line exactly within
    its file and leaves out the lines that are not UTF-8 or too long (record_unreadable_lines
    adds those). JSON is checked with Spark's strict parser (try_parse_json) and must be one
    value with nothing after it; the object's keys and values are read once as a map of
    texts: numbers as their text, nested objects and arrays as JSON text, like DuckDB's
    json_extract_string. Spark 4 runs in ANSI mode, so every conversion is a try_ function.
-#}
{% macro spark__check_landing_lines(source_relation, fields) %}
with landing_lines as (

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

typed_values as (

    select
        source_file,
        line_number,
        line,
        document_problem,
        {%- for field in fields %}
        raw_{{ field.column }},
        {%- if field.type == 'string' %}
        case
            when left(raw_{{ field.column }}, 1) not in ('{', '[') then raw_{{ field.column }}
        end as {{ field.column }}{{ "," if not loop.last }}
        {%- elif field.type == 'double' %}
        case
            when
                not isnan(try_cast(raw_{{ field.column }} as double))
                and abs(try_cast(raw_{{ field.column }} as double)) != double('infinity')
                -- Spark's cast also takes Java's suffixes ('1d', '2f'); DuckDB does not
                and not raw_{{ field.column }} rlike '[dDfF][ \t\n\f\r]*$'
                then try_cast(raw_{{ field.column }} as double)
        end as {{ field.column }}{{ "," if not loop.last }}
        {%- else %}
        -- integers only: '12.5' must not be rounded into a valid value; '1.0' is 1, as in DuckDB
        case
            when
                try_cast(raw_{{ field.column }} as double)
                = try_cast(try_cast(raw_{{ field.column }} as decimal(38, 0)) as bigint)
                and abs(try_cast(raw_{{ field.column }} as double)) < {{ max_exact_integer() }}
                then try_cast(try_cast(raw_{{ field.column }} as decimal(38, 0)) as bigint)
        end as {{ field.column }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from raw_values

),

checked_lines as (

    select
        *,
        {#- the checks in order: (condition, reason, offending key); the first that holds wins -#}
        {%- set checks = [] %}
        {%- for field in fields if field.required %}
            {%- do checks.append(('raw_' ~ field.column ~ ' is null', 'missing_required_field', field.key)) %}
        {%- endfor %}
        {%- for field in fields %}
            {%- if field.type in ('bigint', 'epoch_ms') %}
                {%- do checks.append(('abs(try_cast(raw_' ~ field.column ~ ' as double)) >= ' ~ max_exact_integer(), 'out_of_range', field.key)) %}
            {%- endif %}
            {%- do checks.append(('raw_' ~ field.column ~ ' is not null and ' ~ field.column ~ ' is null', 'wrong_type', field.key)) %}
        {%- endfor %}
        {%- for field in fields if field.type == 'epoch_ms' %}
            {%- do checks.append((field.column ~ ' not between ' ~ min_plausible_epoch_ms() ~ ' and ' ~ max_plausible_epoch_ms(), 'out_of_range', field.key)) %}
        {%- endfor %}
        {{ landing_line_verdict(checks) }}
    from typed_values

)

select
    -- lineage
    source_file,
    line_number,
    -- verdict
    rejection_reason,
    rejected_field,
    -- the raw line, for rejects only
    case when rejection_reason is not null then line end as rejected_line,
    -- typed fields
    {%- for field in fields %}
    {{ field.column }}{{ "," if not loop.last }}
    {%- endfor %}
from checked_lines
{% endmacro %}
