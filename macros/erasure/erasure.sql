{#-
    Right to erasure (docs/erasure.md). Requests land in $STEDI_LANDING/erasure_request/;
    `dbt run-operation erase_customers` carries them out before a build: it rewrites the
    landing files without the customer's lines (stedi/erasure.py does the file work), logs
    the erasure under a keyed hash, and discards everything built from the old landing data.
    The rules (who is erased, which lines are theirs) are the SQL below.
-#}

{#- The erasure log: one JSON object per carried-out request, no personal data. -#}
{% macro erasure_log_file() %}
    {{ return(landing_root() ~ '/erasure_log/erasures.jsonl') }}
{% endmacro %}

{#- Read through a glob: on S3 a glob of one exact key finds it even when it does not exist. -#}
{% macro erasure_log_files() %}
    {{ return(landing_root() ~ '/erasure_log/*.jsonl') }}
{% endmacro %}

{% macro erasure_request_files() %}
    {{ return(landing_root() ~ '/erasure_request/*.json*') }}
{% endmacro %}

{#-
    Whether this engine carries out erasures and leaves logged customers out of its views
    (not_erased): DuckDB. Spark does neither; check_no_pending_erasures stops its builds instead.
-#}
{% macro erasures_carried_out_here() %}
    {{ return(adapter.dispatch('erasures_carried_out_here', 'stedi')()) }}
{% endmacro %}

{% macro default__erasures_carried_out_here() %}
    {{ return(false) }}
{% endmacro %}

{% macro duckdb__erasures_carried_out_here() %}
    {{ return(true) }}
{% endmacro %}

{#- Whether the optional landing folder erasure_request or erasure_log holds any file. -#}
{% macro erasure_files_landed(folder) %}
    {% if not execute %}{{ return(false) }}{% endif %}
    {{ return(adapter.dispatch('erasure_files_landed', 'stedi')(folder)) }}
{% endmacro %}

{#- Read through a glob: on S3 a glob of one exact key finds it even when it does not exist. -#}
{% macro duckdb__erasure_files_landed(folder) %}
    {% set pattern = {'erasure_request': erasure_request_files(), 'erasure_log': erasure_log_files()}[folder] %}
    {% set found = run_query("select count(*) from (select 1 from glob(" ~ sql_string(pattern) ~ ") limit 1)") %}
    {{ return(found.columns[0].values()[0] > 0) }}
{% endmacro %}

{#- Spark: the folder's files as registered by prepare_landing_sources. -#}
{% macro spark__erasure_files_landed(folder) %}
    {% set found = run_query("select count(*) from (select 1 from landing." ~ folder ~ "__files limit 1)") %}
    {{ return(found.columns[0].values()[0] > 0) }}
{% endmacro %}

{% macro erasure_requests_landed() %}
    {{ return(erasure_files_landed('erasure_request')) }}
{% endmacro %}

{#- The landing post-hooks, run only when request files were read (they read the reader's reject tables). -#}
{% macro erasure_request_post_hooks() %}
    {% set hooks = [] %}
    {% for hook in landing_post_hooks('erasure_request') %}
        {% do hooks.append({
            'sql': '{% if erasure_requests_landed() %}' ~ hook.sql ~ '{% endif %}',
            'transaction': hook.transaction,
        }) %}
    {% endfor %}
    {{ return(hooks) }}
{% endmacro %}

{#-
    The keyed hash that stands for an erased customer: the pseudonym key, then a domain of
    its own, then the customer key. subject_id hashes key || chr(31) || customer key, so the
    two never coincide and the erasure log cannot be joined to machine_learning_curated.
-#}
{% macro erasure_key_hash(customer_key) %}
    {{ return(adapter.dispatch('erasure_key_hash', 'stedi')(customer_key)) }}
{% endmacro %}

{% macro duckdb__erasure_key_hash(customer_key) -%}
    sha256(getvariable('stedi_pseudonym_key') || chr(30) || 'stedi-erasure' || chr(31) || {{ customer_key }})
{%- endmacro %}

{#- Spark: in a query only, never in a view (a Spark view stores its SQL with the key substituted). -#}
{% macro spark__erasure_key_hash(customer_key) -%}
    sha2({{ spark__pseudonym_key() }} || chr(30) || 'stedi-erasure' || chr(31) || {{ customer_key }}, 256)
{%- endmacro %}

{#-
    Whether a customer record is of no erased customer (erased_customers holds their keyed
    hashes). Not on Spark: a Spark view stores its SQL with the session's key substituted,
    so no keyed hash may stand in one; a Spark build instead never starts while an erased
    customer's record is back (check_no_pending_erasures).
-#}
{% macro not_erased(customer_key, erased_customers) %}
    {{ return(adapter.dispatch('not_erased', 'stedi')(customer_key, erased_customers)) }}
{% endmacro %}

{% macro default__not_erased(customer_key, erased_customers) -%}
    true
{%- endmacro %}

{% macro duckdb__not_erased(customer_key, erased_customers) -%}
    not exists (
        select 1 from {{ erased_customers }}
        where {{ erased_customers }}.key_hash = {{ erasure_key_hash(customer_key) }}
    )
{%- endmacro %}

{#-
    The erasure log's records as a query (the landing.erasure_log table), typed; no rows
    without a log.
-#}
{% macro erasure_log_rows() %}
    {{ return(adapter.dispatch('erasure_log_rows', 'stedi')()) }}
{% endmacro %}

{% macro default__erasure_log_rows() -%}
    select
        cast(null as string) as key_hash,
        cast(null as string) as kind,
        cast(null as timestamp) as requested_at,
        cast(null as timestamp) as received_at,
        cast(null as timestamp) as carried_out_at,
        cast(null as string) as build_id,
        cast(null as string) as rows_removed_per_zone,
        cast(null as string) as landing_files
    where false
{%- endmacro %}

{% macro duckdb__erasure_log_rows() -%}
    {%- if erasure_files_landed('erasure_log') -%}
    select
        key_hash,
        kind,
        cast(requested_at as timestamp) as requested_at,
        cast(received_at as timestamp) as received_at,
        cast(carried_out_at as timestamp) as carried_out_at,
        build_id,
        cast(rows_removed_per_zone as varchar) as rows_removed_per_zone,
        cast(landing_files as varchar) as landing_files
    from read_json(
        {{ sql_string(erasure_log_files()) }},
        format = 'newline_delimited',
        columns = {
            key_hash: 'VARCHAR', kind: 'VARCHAR', requested_at: 'VARCHAR', received_at: 'VARCHAR',
            carried_out_at: 'VARCHAR', build_id: 'VARCHAR', rows_removed_per_zone: 'JSON', landing_files: 'JSON'
        }
    )
    {%- else -%}
    {{ default__erasure_log_rows() }}
    {%- endif -%}
{%- endmacro %}

{#- Spark: the log's lines (landing.erasure_log__files), parsed as the DuckDB variant types them. -#}
{% macro spark__erasure_log_rows() -%}
    {%- if erasure_files_landed('erasure_log') -%}
    select
        get_json_object(line, '$.key_hash') as key_hash,
        get_json_object(line, '$.kind') as kind,
        cast(get_json_object(line, '$.requested_at') as timestamp) as requested_at,
        cast(get_json_object(line, '$.received_at') as timestamp) as received_at,
        cast(get_json_object(line, '$.carried_out_at') as timestamp) as carried_out_at,
        get_json_object(line, '$.build_id') as build_id,
        get_json_object(line, '$.rows_removed_per_zone') as rows_removed_per_zone,
        get_json_object(line, '$.landing_files') as landing_files
    from ({{ spark__landing_file_lines('erasure_log', 'true') }}) as log_lines
    where trim(line) != ''
    {%- else -%}
    {{ default__erasure_log_rows() }}
    {%- endif -%}
{%- endmacro %}

{#-
    on-run-start: a build never starts while a valid request is not carried out. Spark
    carries out no erasure and keeps no keyed hash in its views (not_erased), so a Spark
    build also never starts while an erased customer's record is back in the landing data
    (a later export): the erasure on a DuckDB target removes it first.
-#}
{% macro check_no_pending_erasures() %}
    {% if not execute %}{{ return('') }}{% endif %}
    {% set owed = [] %}
    {% if erasure_requests_landed() %}
        {% set pending = run_query(
            "select count(*) from (" ~ check_landing_lines(source('landing', 'erasure_request'), landing_fields('erasure_request'))
            ~ ") where rejection_reason is null"
        ).columns[0].values()[0] %}
        {% if pending > 0 %}
            {% do owed.append(pending ~ " erasure request(s) pending in " ~ landing_root() ~ "/erasure_request") %}
        {% endif %}
    {% endif %}
    {% if not erasures_carried_out_here() and erasure_files_landed('erasure_log') %}
        {% set returned = run_query(
            "select count(distinct records.customer_key) from (select lower(trim(email)) as customer_key from ("
            ~ check_landing_lines(source('landing', 'customer'), landing_fields('customer'))
            ~ ") where email is not null) as records inner join (" ~ erasure_log_rows()
            ~ ") as erased on erased.key_hash = " ~ erasure_key_hash('records.customer_key')
        ).columns[0].values()[0] %}
        {% if returned > 0 %}
            {% do owed.append(returned ~ " erased customer(s) back in " ~ landing_root() ~ "/customer (a later export)") %}
        {% endif %}
    {% endif %}
    {% if owed %}
        {{ exceptions.raise_compiler_error(
            owed | join(', ') ~ ": carry them out first with "
            ~ ("`dbt run-operation erase_customers` (make run does)" if erasures_carried_out_here()
               else "`make run` on a DuckDB target (local or s3) over the same landing data: Spark does not erase")
            ~ ". Nothing was built."
        ) }}
    {% endif %}
{% endmacro %}

{#- A query over the lines of one landing source: source_file, line, document (trailing commas cut, as the build does). -#}
{% macro erasure_source_lines(source_name) -%}
    select
        filename as source_file,
        line,
        {{ landing_document('line') }} as document
    from {{ source('landing', source_name) }}
{%- endmacro %}

{#- A key of a landing line as the landing checks read it (any capitalisation); null when the line is no JSON object. -#}
{% macro erasure_json_text(document, key) -%}
    try({{ json_text_any_case(document, key) }})
{%- endmacro %}

{#- An e-mail of a landing line, trimmed and case-folded as customer_landing does. -#}
{% macro erasure_json_key(document, key) -%}
    lower(trim({{ erasure_json_text(document, key) }}))
{%- endmacro %}

{#-
    `dbt run-operation erase_customers` (DuckDB targets): carry out every valid request in
    erasure_request/ and re-apply every logged erasure to the landing files.
-#}
{% macro erase_customers() %}
    {% if not erasures_carried_out_here() %}
        {{ log("Erasure runs on the DuckDB targets (local, s3) only: nothing done on " ~ target.name ~ ".", info=True) }}
        {{ return('') }}
    {% endif %}
    {% set requests_landed = erasure_requests_landed() %}

    {#- 1. who: the valid requests, and the customers erased before (by keyed hash) -#}
    {% call statement('erasure_requests', auto_begin=False) %}
        create or replace temp table erasure_requests as
        {% if requests_landed %}
        with checked_requests as (
            {{ check_landing_lines(source('landing', 'erasure_request'), landing_fields('erasure_request')) }}
        ),

        received as (
            select filename as source_file, timezone('UTC', last_modified) as last_modified from read_blob({{ sql_string(erasure_request_files()) }})
        )

        select
            lower(trim(checked_requests.email)) as customer_key,
            {{ erasure_key_hash('lower(trim(checked_requests.email))') }} as key_hash,
            min(checked_requests.requested_ms) as requested_ms,
            min(received.last_modified) as received_at
        from checked_requests
        left join received on checked_requests.source_file = received.source_file
        where checked_requests.rejection_reason is null
        group by all
        {% else %}
        select
            cast(null as varchar) as customer_key,
            cast(null as varchar) as key_hash,
            cast(null as bigint) as requested_ms,
            cast(null as timestamp) as received_at
        where false
        {% endif %}
    {% endcall %}
    {% call statement('erased_hashes', auto_begin=False) %}
        create or replace temp table erased_hashes as
        select key_hash from erasure_requests
        union
        select key_hash from ({{ duckdb__erasure_log_rows() }})
    {% endcall %}
    {% set hashes = run_query("select count(*) from erased_hashes").columns[0].values()[0] %}
    {% set requests = run_query("select count(*) from erasure_requests").columns[0].values()[0] %}
    {% if hashes == 0 %}
        {{ log("Erasure: no request, nothing to erase.", info=True) }}
        {{ return('') }}
    {% endif %}

    {#- 2. which landing lines: customer records by e-mail, phone readings by user, readings of
        a device whose current owners are all erased (device_owners' rule), and any line that
        holds a requested e-mail as a JSON string (quarantined lines included) -#}
    {% call statement('erasure_customer_lines', auto_begin=False) %}
        create or replace temp table erasure_customer_lines as
        select
            source_file,
            line,
            {{ erasure_json_key('document', 'email') }} as customer_key
        from ({{ erasure_source_lines('customer') }})
    {% endcall %}
    {#- the records the landing checks accept, in the order of their files' lines -#}
    {% call statement('erasure_checked_customers', auto_begin=False) %}
        create or replace temp table erasure_checked_customers as
        {{ check_landing_lines(source('landing', 'customer'), landing_fields('customer')) }}
    {% endcall %}
    {% call statement('erased_customer_keys', auto_begin=False) %}
        create or replace temp table erased_customer_keys as
        with known_keys as (
            select customer_key from erasure_customer_lines
            union
            select {{ erasure_json_key('document', 'user') }} from ({{ erasure_source_lines('accelerometer') }})
            union
            select customer_key from erasure_requests
        )

        select known_keys.customer_key, erased_hashes.key_hash
        from known_keys
        inner join erased_hashes on {{ erasure_key_hash('known_keys.customer_key') }} = erased_hashes.key_hash
    {% endcall %}
    {% call statement('erased_devices', auto_begin=False) %}
        create or replace temp table erased_devices as
        with current_records as (
            select lower(trim(email)) as customer_key, serial_number
            from erasure_checked_customers
            where rejection_reason is null
            qualify row_number() over (
                partition by lower(trim(email)) order by {{ latest_record_first('rowid') }}
            ) = 1
        )

        select current_records.serial_number, min(erased.key_hash) as key_hash
        from current_records
        left join erased_customer_keys as erased on current_records.customer_key = erased.customer_key
        group by current_records.serial_number
        having count(*) = count(erased.key_hash)
    {% endcall %}
    {#- one scan per source: the source's own rule, or a requested e-mail in the line -#}
    {% set sources = [
        ('customer', 'select * from erasure_customer_lines', 'erased_customer_keys', 'lines.customer_key = structural.customer_key'),
        ('accelerometer', erasure_source_lines('accelerometer'), 'erased_customer_keys',
            erasure_json_key('lines.document', 'user') ~ ' = structural.customer_key'),
        ('step_trainer', erasure_source_lines('step_trainer'), 'erased_devices',
            erasure_json_text('lines.document', 'serialNumber') ~ ' = structural.serial_number'),
    ] %}
    {% if requests_landed %}
        {% do sources.append(('erasure_request', erasure_source_lines('erasure_request'), 'erasure_requests',
            erasure_json_key('lines.document', 'email') ~ ' = structural.customer_key')) %}
    {% endif %}
    {% call statement('erasure_lines', auto_begin=False) %}
        create or replace temp table erasure_lines as
        {% for source_name, lines, structural, condition in sources %}
        select
            '{{ source_name }}' as source_name,
            lines.source_file,
            lines.line,
            coalesce(structural.key_hash{{ ', requested.key_hash' if requests > 0 }}) as key_hash
        from ({{ lines }}) as lines
        left join {{ structural }} as structural on {{ condition }}
        {%- if requests > 0 %}
        -- only an address: a request for "" must not match every empty JSON string
        left join erasure_requests as requested
            on requested.customer_key like '%_@_%' and contains(lower(lines.line), '"' || requested.customer_key || '"')
        {%- endif %}
        where structural.key_hash is not null{{ ' or requested.key_hash is not null' if requests > 0 }}
        {{ 'union all' if not loop.last }}
        {% endfor %}
    {% endcall %}

    {#- 3. what the last build holds of each, per zone (for the log); none of it stays -#}
    {% set zone_counts = erasure_rows_in_database() %}

    {#- 4. the landing files, rewritten without those lines -#}
    {% call statement('erasure_rewrite', auto_begin=False) %}
        create or replace temp table erasure_rewritten_files as
        with files as (
            select source_name, source_file, to_json(list(distinct {'key_hash': key_hash, 'line': line})) as lines
            from erasure_lines
            where source_name != 'erasure_request'
            group by all
        )

        select source_name, source_file, stedi_erase_landing_lines(source_file, lines) as summary
        from files
    {% endcall %}

    {#- 5. the log (the customer's data files): per erased customer, lines removed per file (with checksums) and rows per zone -#}
    {% call statement('erasure_log', auto_begin=False) %}
        create or replace temp table erasure_log_records as
        with lines_per_file as (
            select distinct key_hash, source_name, source_file
            from erasure_lines
        ),

        files as (
            select
                lines_per_file.key_hash,
                list({
                    'source': lines_per_file.source_name,
                    'file': lines_per_file.source_file,
                    'lines_removed': coalesce(cast(json_extract(
                        rewritten.summary, '$.removed_per_key."' || lines_per_file.key_hash || '"'
                    ) as bigint), 0),
                    'file_lines_before': cast(json_extract(rewritten.summary, '$.lines_before') as bigint),
                    'file_lines_removed': cast(json_extract(rewritten.summary, '$.lines_removed') as bigint),
                    'sha256_before': json_extract_string(rewritten.summary, '$.sha256_before'),
                    'sha256_after': json_extract_string(rewritten.summary, '$.sha256_after')
                } order by lines_per_file.source_file) as landing_files
            from lines_per_file
            inner join erasure_rewritten_files as rewritten on lines_per_file.source_file = rewritten.source_file
            group by lines_per_file.key_hash
        )

        select to_json({
            'key_hash': erased_hashes.key_hash,
            'kind': case when requests.key_hash is null then 'suppressed_again' else 'request' end,
            'requested_at': strftime(epoch_ms(requests.requested_ms), '%Y-%m-%dT%H:%M:%S.%gZ'),
            'received_at': strftime(requests.received_at, '%Y-%m-%dT%H:%M:%SZ'),
            'carried_out_at': strftime(now() at time zone 'UTC', '%Y-%m-%dT%H:%M:%SZ'),
            'build_id': {{ sql_string(invocation_id) }},
            'rows_removed_per_zone': coalesce(
                json_extract({{ sql_string(tojson(zone_counts)) }}, '$."' || erased_hashes.key_hash || '"'), '{}'
            ),
            'landing_files': coalesce(files.landing_files, [])
        }) as record
        from erased_hashes
        left join erasure_requests as requests on erased_hashes.key_hash = requests.key_hash
        left join files on erased_hashes.key_hash = files.key_hash
        -- a logged customer is logged again only when a later export brought lines back
        where requests.key_hash is not null or files.key_hash is not null
    {% endcall %}
    {% set logged = run_query(
        "select stedi_append_erasure_log(" ~ sql_string(erasure_log_file()) ~ ", to_json(list(record))) from erasure_log_records"
        ~ " having count(*) > 0"
    ) %}

    {#- 6. the requests last: an erasure interrupted before this point is carried out again -#}
    {% call statement('erasure_requests_done', auto_begin=False) %}
        insert into erasure_rewritten_files
        with files as (
            select source_name, source_file, to_json(list(distinct {'key_hash': key_hash, 'line': line})) as lines
            from erasure_lines
            where source_name = 'erasure_request'
            group by all
        )

        select source_name, source_file, stedi_erase_landing_lines(source_file, lines) as summary
        from files
    {% endcall %}
    {% set removed = run_query(
        "select coalesce(sum(cast(json_extract(summary, '$.lines_removed') as bigint)), 0), count(*) from erasure_rewritten_files"
    ).rows[0] %}

    {#- 7. everything built from the old landing data goes; the next build rebuilds it -#}
    {% if removed[0] > 0 or requests > 0 %}
        {% do erasure_discard_derived_data() %}
    {% endif %}
    {{ log("Erasure: " ~ requests ~ " request(s) carried out, " ~ (hashes - requests) ~ " earlier erasure(s) re-applied; "
        ~ removed[0] ~ " landing line(s) removed from " ~ removed[1] ~ " file(s); log: " ~ erasure_log_file(), info=True) }}
{% endmacro %}

{#-
    Rows of the erased customers in the database's tables, per zone: a table's rows match on
    customer_key or user_key, on the e-mail columns, on subject_id, on serial_number (device
    readings of erased devices) or on a requested e-mail inside rejected_line.
-#}
{% macro erasure_rows_in_database() %}
    {% set tables = run_query(
        "select table_schema, table_name, '|' || string_agg(column_name, '|') || '|' from information_schema.columns"
        ~ " join information_schema.tables using (table_catalog, table_schema, table_name)"
        ~ " where table_catalog = current_database() and table_type = 'BASE TABLE'"
        ~ " and table_schema not in ('main', 'information_schema', 'pg_catalog') group by all order by all"
    ) %}
    {% set counts = {} %}
    {% for schema, table, column_list in tables.rows %}
        {% set columns = column_list.strip('|').split('|') %}
        {% set relation = adapter.quote(schema) ~ '.' ~ adapter.quote(table) ~ ' as erased_rows' %}
        {% set by_key = "erased_customer_keys as erased on erased_rows.{} = erased.customer_key" %}
        {% if 'customer_key' in columns %}{% set join = by_key.format('customer_key') %}
        {% elif 'user_key' in columns %}{% set join = by_key.format('user_key') %}
        {% elif 'email' in columns %}{% set join = by_key.format('email').replace('erased_rows.email', 'lower(trim(erased_rows.email))') %}
        {% elif 'user_email' in columns %}{% set join = by_key.format('user_email').replace('erased_rows.user_email', 'lower(trim(erased_rows.user_email))') %}
        {% elif 'subject_id' in columns %}{% set join = "erased_customer_keys as erased on erased_rows.subject_id = " ~ subject_id('erased.customer_key') %}
        {% elif 'serial_number' in columns %}{% set join = "erased_devices as erased on erased_rows.serial_number = erased.serial_number" %}
        {% elif 'rejected_line' in columns %}{% set join = "erasure_requests as erased on erased.customer_key like '%_@_%' and contains(lower(erased_rows.rejected_line), '\"' || erased.customer_key || '\"')" %}
        {% else %}{% set join = '' %}
        {% endif %}
        {% if join %}
            {% set zone = schema | replace('_audit', '') %}
            {% set found = run_query(
                "select erased.key_hash, count(*) from " ~ relation ~ " inner join " ~ join ~ " group by all"
            ) %}
            {% for key_hash, rows in found.rows %}
                {% set per_zone = counts.setdefault(key_hash, {}) %}
                {% do per_zone.update({zone: per_zone.get(zone, 0) + rows}) %}
            {% endfor %}
        {% endif %}
    {% endfor %}
    {{ return(counts) }}
{% endmacro %}

{#-
    After an erasure nothing built from the old landing data may keep a copy: every schema
    of the database is dropped (the database file is then rewritten before the next build
    opens it, so no free block keeps a byte), and the lake and the data scientists' files
    are deleted (on S3 with every object version). A failed build after an erasure leaves
    consumers without tables rather than with the erased customer.
-#}
{% macro erasure_discard_derived_data() %}
    {% set schemas = run_query(
        "select schema_name from information_schema.schemata where catalog_name = current_database()"
        ~ " and schema_name not in ('main', 'information_schema', 'pg_catalog')"
    ).columns[0].values() %}
    {% call statement('erasure_drop_schemas', auto_begin=True) %}
        {% for schema in schemas %}
        drop schema {{ adapter.quote(schema) }} cascade;
        {% endfor %}
    {% endcall %}
    {% do adapter.commit() %}
    {% set handover = env_var('STEDI_ML_DUCKDB', target_default('ml.duckdb')) %}
    {% set payload = {
        'lake': lake_root(),
        'files': [handover, handover[:-7] ~ '_rubric.duckdb' if handover.endswith('.duckdb') else handover ~ '_rubric'],
    } %}
    {% call statement('erasure_discard', auto_begin=False) %}
        select stedi_discard_derived_data({{ sql_string(tojson(payload)) }}, (
            select path from duckdb_databases() where database_name = current_database()
        ))
    {% endcall %}
{% endmacro %}
