{#-
    Every line of a landing source, parsed once: its typed fields, or the reason it
    is rejected. `fields` lists the JSON keys the source should have:
      {'key': JSON key, 'column': column name, 'type': 'string'|'bigint'|'double'|'epoch_ms',
       'required': true|false}
    Keys are matched case-insensitively, a trailing comma after the object is tolerated,
    numbers written as JSON strings are read as numbers, and unknown keys are ignored.
-#}
{% macro check_landing_lines(source_relation, fields) %}
    {{ return(adapter.dispatch('check_landing_lines', 'stedi')(source_relation, fields)) }}
{% endmacro %}

{#- Epoch milliseconds accepted as plausible: 1970-01-01 up to 2100-01-01. -#}
{% macro max_plausible_epoch_ms() %}4102444800000{% endmacro %}

{% macro duckdb__check_landing_lines(source_relation, fields) %}
{%- set json_structure = {} -%}
{%- for field in fields -%}{%- do json_structure.update({field.key: 'VARCHAR'}) -%}{%- endfor %}
with landing_lines as (

    select
        filename as source_file,
        line,
        -- tolerate one trailing comma after the object (the 2022 step-trainer export)
        regexp_replace(trim(line), '\}\s*,$', '}') as document
    from {{ source_relation }}

),

parsed_documents as (

    select
        source_file,
        line,
        document,
        case
            when line is null or regexp_full_match(line, '\s*') then 'empty_line'
            when not json_valid(document) then 'invalid_json'
            when json_type(document) != 'OBJECT' then 'not_a_json_object'
        end as document_problem,
        case
            when document_problem is null
                then from_json(document, {{ sql_string(tojson(json_structure)) }})
        end as exact_keys
    from landing_lines

),

raw_values as (

    select
        source_file,
        line,
        document_problem,
        {%- for field in fields %}
        -- '{{ field.key }}', also under any other capitalisation
        case
            when document_problem is not null then null
            when exact_keys[{{ sql_string(field.key) }}] is not null
                then exact_keys[{{ sql_string(field.key) }}]
            else json_extract_string(
                document,
                '$."' || replace(list_filter(
                    json_keys(document), json_key -> lower(json_key) = {{ sql_string(field.key | lower) }}
                )[1], '"', '\"') || '"'
            )
        end as raw_{{ field.column }}{{ "," if not loop.last }}
        {%- endfor %}
    from parsed_documents

),

typed_values as (

    select
        source_file,
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
            when isfinite(try_cast(raw_{{ field.column }} as double))
                then try_cast(raw_{{ field.column }} as double)
        end as {{ field.column }}{{ "," if not loop.last }}
        {%- else %}
        -- integers only: '12.5' must not be rounded into a valid value
        case
            when try_cast(raw_{{ field.column }} as double) = try_cast(raw_{{ field.column }} as bigint)
                then try_cast(raw_{{ field.column }} as bigint)
        end as {{ field.column }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from raw_values

),

checked_lines as (

    select
        *,
        coalesce(
            document_problem,
            case
                {%- for field in fields if field.required %}
                when raw_{{ field.column }} is null then 'missing_required_field'
                {%- endfor %}
                {%- for field in fields %}
                when raw_{{ field.column }} is not null and {{ field.column }} is null then 'wrong_type'
                {%- endfor %}
                {%- for field in fields if field.type == 'epoch_ms' %}
                when {{ field.column }} not between 0 and {{ max_plausible_epoch_ms() }} then 'out_of_range'
                {%- endfor %}
            end
        ) as rejection_reason,
        case
            {%- for field in fields if field.required %}
            when raw_{{ field.column }} is null then '{{ field.key }}'
            {%- endfor %}
            {%- for field in fields %}
            when raw_{{ field.column }} is not null and {{ field.column }} is null then '{{ field.key }}'
            {%- endfor %}
            {%- for field in fields if field.type == 'epoch_ms' %}
            when {{ field.column }} not between 0 and {{ max_plausible_epoch_ms() }} then '{{ field.key }}'
            {%- endfor %}
        end as rejected_field
    from typed_values

),

numbered_lines as (

    -- the reader keeps file order (preserve_insertion_order), so a running number minus
    -- the file's first number is the line's position among the file's readable lines;
    -- record_unreadable_lines shifts it past unreadable lines, when a file has any
    select
        *,
        row_number() over () as scan_position
    from checked_lines

)

select
    -- lineage
    source_file,
    scan_position - min(scan_position) over (partition by source_file) + 1 as line_number,
    -- verdict
    rejection_reason,
    case when document_problem is null then rejected_field end as rejected_field,
    -- the raw line, for rejects only
    case when rejection_reason is not null then line end as rejected_line,
    -- typed fields
    {%- for field in fields %}
    {{ field.column }}{{ "," if not loop.last }}
    {%- endfor %}
from numbered_lines
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
                then try_cast(try_cast(raw_{{ field.column }} as decimal(38, 0)) as bigint)
        end as {{ field.column }}{{ "," if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from raw_values

),

checked_lines as (

    select
        *,
        coalesce(
            document_problem,
            case
                {%- for field in fields if field.required %}
                when raw_{{ field.column }} is null then 'missing_required_field'
                {%- endfor %}
                {%- for field in fields %}
                when raw_{{ field.column }} is not null and {{ field.column }} is null then 'wrong_type'
                {%- endfor %}
                {%- for field in fields if field.type == 'epoch_ms' %}
                when {{ field.column }} not between 0 and {{ max_plausible_epoch_ms() }} then 'out_of_range'
                {%- endfor %}
            end
        ) as rejection_reason,
        case
            {%- for field in fields if field.required %}
            when raw_{{ field.column }} is null then '{{ field.key }}'
            {%- endfor %}
            {%- for field in fields %}
            when raw_{{ field.column }} is not null and {{ field.column }} is null then '{{ field.key }}'
            {%- endfor %}
            {%- for field in fields if field.type == 'epoch_ms' %}
            when {{ field.column }} not between 0 and {{ max_plausible_epoch_ms() }} then '{{ field.key }}'
            {%- endfor %}
        end as rejected_field
    from typed_values

)

select
    -- lineage
    source_file,
    line_number,
    -- verdict
    rejection_reason,
    case when document_problem is null then rejected_field end as rejected_field,
    -- the raw line, for rejects only
    case when rejection_reason is not null then line end as rejected_line,
    -- typed fields
    {%- for field in fields %}
    {{ field.column }}{{ "," if not loop.last }}
    {%- endfor %}
from checked_lines
{% endmacro %}
