{#-
    The privacy report (docs/privacy-report.md): on-run-end, after publishing, every
    `dbt build` (also `dbt run` and `dbt retry`) writes one HTML page and the same figures as
    JSON beside its database file, published or not. The figures are computed here, in SQL,
    on the relations this invocation built (a relation it did not build, because it failed,
    was skipped or not selected, gives no figure rather than a stale one); each rule's
    exclusions are counted with the rule's own macro (macros/consent/consent_rules.sql).
    stedi/report_page.py renders them, through the plugin's UDF stedi_write_privacy_report.
-#}
{% macro write_privacy_report(results) %}
    {% if not execute or flags.WHICH not in ['build', 'run', 'retry'] %}{{ return('') }}{% endif %}
    {% do adapter.dispatch('write_privacy_report', 'stedi')(results) %}
{% endmacro %}

{#- Spark has no Python UDF in the build to write files with: the report is DuckDB's. -#}
{% macro default__write_privacy_report(results) %}
    {{ log("No privacy report: it is written by DuckDB targets only (`make report TARGET="
        ~ target.name ~ "` prints the row counts and the quarantine).", info=True) }}
{% endmacro %}

{% macro duckdb__write_privacy_report(results) %}
    {% set figures = privacy_report_figures(results) %}
    {% set written = run_query(
        "select stedi_write_privacy_report(" ~ sql_string(tojson(figures)) ~ ", "
        ~ sql_string(privacy_report_path()) ~ ")"
    ).columns[0].values()[0] %}
    {% if written.startswith('error: ') %}
        {{ exceptions.raise_compiler_error(
            "The privacy report could not be written to " ~ privacy_report_path() ~ ": " ~ written[7:]) }}
    {% endif %}
    {{ log("Privacy report: " ~ written, info=True) }}
{% endmacro %}

{#-
    $STEDI_REPORT_DIR/privacy-report.html, by default beside the target's database file
    (data/, data/s3/, a test's own folder); a policy other than strict writes its own file
    (privacy-report_rubric.html). The JSON is the same path with .json.
-#}
{% macro privacy_report_path() %}
    {#- a database without a folder (`:memory:`) writes where its files would be -#}
    {% set folder = env_var('STEDI_REPORT_DIR', '') or target.path.rpartition('/')[0] or target_default('') %}
    {{ return(folder.rstrip('/') ~ '/privacy-report' ~ policy_suffix() ~ '.html') }}
{% endmacro %}

{#- The numbers of a one-row query, or none for each when a relation it reads was not built by this invocation. -#}
{% macro report_counts(sql, needs, built, columns=1) %}
    {% for name in needs if name not in built %}{{ return([none] * columns) }}{% endfor %}
    {{ return(run_query(sql).rows[0] | map('int') | list) }}
{% endmacro %}

{% macro report_count(sql, needs, built) %}
    {{ return(report_counts(sql, needs, built)[0]) }}
{% endmacro %}

{% macro privacy_report_figures(results) %}
    {#- the relations this invocation built, by model name (audit schemas for trusted/curated) -#}
    {% set built = {} %}
    {% for result in results
        if result.node.resource_type in ['model', 'seed'] and result.status == 'success' %}
        {% do built.update({result.node.name: api.Relation.create(
            database=result.node.database, schema=result.node.schema, identifier=result.node.alias)}) %}
    {% endfor %}
    {% set reason = unverified_reason(results) %}

    {#- counts per zone, named as consumers see them -#}
    {% set zones = [] %}
    {% for zone, tables in [
        ('landing', ['customer_landing', 'accelerometer_landing', 'step_trainer_landing', 'rejected_records']),
        ('trusted', ['customer_trusted', 'accelerometer_trusted', 'step_trainer_trusted', 'step_trainer_unattributed']),
        ('curated', ['customer_curated', 'machine_learning_curated']),
    ] %}
        {% for table in tables %}
            {% do zones.append({
                'zone': zone,
                'relation': (published_schema(zone) if zone in audited_zones() else zone) ~ '.' ~ table,
                'built_as': built[table].schema ~ '.' ~ built[table].identifier if table in built else none,
                'rows': report_count("select count(*) from " ~ built.get(table), [table], built),
            }) %}
        {% endfor %}
    {% endfor %}

    {#- the consent funnel: customers at each step (distinct: rubric keeps several records of one) -#}
    {% set funnel = [
        {'step': 'landing_records', 'label': 'customer records in landing',
         'count': report_count("select count(*) from " ~ built.get('customer_landing'), ['customer_landing'], built)},
        {'step': 'current_records', 'label': 'customers (current records)',
         'count': report_count("select count(*) from " ~ built.get('customer_records') ~ " where is_current_record", ['customer_records'], built)},
        {'step': 'consenting', 'label': 'consenting to research',
         'count': report_count("select count(distinct customer_key) from " ~ built.get('customer_trusted'), ['customer_trusted'], built)},
        {'step': 'with_readings', 'label': 'with phone readings'
            ~ (' at or after consent' if rule_applies(taken_after_consent('r', 'c')) else ''),
         'count': report_count("select count(distinct customer_key) from " ~ built.get('customer_curated'), ['customer_curated'], built)},
        {'step': 'in_ml_data_set', 'label': 'in the machine-learning data set',
         'count': report_count("select count(distinct subject_id) from " ~ built.get('machine_learning_curated'), ['machine_learning_curated'], built)},
    ] %}

    {#- the rows each rule excluded, each counted on the rule's own input with the rule's own macro -#}
    {% set superseded_sql %}
        select count(*) from {{ built.get('customer_records') }}
        where not ({{ current_record_only('is_current_record') }})
    {% endset %}
    {#- the records a policy reads, less those it trusts: the consent rule is customer_trusted's -#}
    {% set no_consent_customers_sql %}
        select
            (select count(*) from {{ built.get('customer_records') }} where {{ current_record_only('is_current_record') }})
            - (select count(*) from {{ built.get('customer_trusted') }})
    {% endset %}
    {#- both phone figures in one pass over the biggest landing table -#}
    {% set phone_exclusions_sql %}
        select
            count(*) filter (where consenting.customer_key is null),
            count(*) filter (
                where consenting.customer_key is not null
                and not ({{ taken_after_consent('readings.reading_ms', 'consenting.research_consent_ms') }})
            )
        from {{ built.get('accelerometer_landing') }} as readings
        left join (
            select customer_key, max(research_consent_ms) as research_consent_ms
            from {{ built.get('customer_trusted') }} group by customer_key
        ) as consenting on readings.user_key = consenting.customer_key
    {% endset %}
    {% set no_consent_phone, before_consent_phone = report_counts(
        phone_exclusions_sql, ['accelerometer_landing', 'customer_trusted'], built, columns=2) %}
    {% set no_consent_device_sql %}
        select count(*) from {{ built.get('step_trainer_landing') }} as readings
        where not exists (
            select 1 from {{ built.get('customer_trusted') }} as consenting
            where consenting.serial_number = readings.serial_number
        )
    {% endset %}
    {% set before_consent_device_sql %}
        select count(*)
        from {{ built.get('step_trainer_landing') }} as readings
        inner join (
            select serial_number, min(research_consent_ms) as research_consent_ms
            from {{ built.get('customer_curated') }} group by serial_number
        ) as devices on readings.serial_number = devices.serial_number
        where not ({{ taken_after_consent('readings.sensor_reading_ms', 'devices.research_consent_ms') }})
    {% endset %}
    {#- device readings paired with phone readings of the same instant (the course's join), not the owner's -#}
    {% set cross_customer_sql %}
        select count(*)
        from {{ built.get('step_trainer_trusted') }} as device_readings
        inner join {{ built.get('device_owners') }} as device_owners
            on device_readings.serial_number = device_owners.serial_number
        inner join {{ built.get('accelerometer_trusted') }} as phone_readings
            on device_readings.sensor_reading_ms = phone_readings.reading_ms
        where not ({{ paired_with_owner('device_owners.owner_key', 'phone_readings.user_key') }})
    {% endset %}
    {% set exclusions = [
        {'rule': 'current_record_only', 'label': 'superseded customer records (a later record decides)',
         'applies': rule_applies(current_record_only('x')), 'unit': 'customer records',
         'rows': report_count(superseded_sql, ['customer_records'], built)},
        {'rule': 'no_consent', 'label': 'no research consent', 'applies': true, 'unit': 'customer records',
         'rows': report_count(no_consent_customers_sql, ['customer_records', 'customer_trusted'], built)},
        {'rule': 'no_consent', 'label': 'no research consent', 'applies': true, 'unit': 'phone readings',
         'rows': no_consent_phone},
        {'rule': 'no_consent', 'label': 'no research consent', 'applies': true, 'unit': 'device readings',
         'rows': report_count(no_consent_device_sql, ['step_trainer_landing', 'customer_trusted'], built)},
        {'rule': 'taken_after_consent', 'label': 'taken before consent',
         'applies': rule_applies(taken_after_consent('r', 'c')), 'unit': 'phone readings',
         'rows': before_consent_phone},
        {'rule': 'taken_after_consent', 'label': 'taken before consent',
         'applies': rule_applies(taken_after_consent('r', 'c')), 'unit': 'device readings',
         'rows': report_count(before_consent_device_sql, ['step_trainer_landing', 'customer_curated'], built)},
        {'rule': 'device_has_one_owner', 'label': 'unattributed device (several current owners)',
         'applies': rule_applies(device_has_one_owner('n')), 'unit': 'device readings',
         'rows': report_count("select count(*) from " ~ built.get('step_trainer_unattributed'), ['step_trainer_unattributed'], built)},
        {'rule': 'paired_with_owner', 'label': "cross-customer pairs the course's join would have made",
         'applies': rule_applies(paired_with_owner('o', 'u')), 'unit': 'reading pairs',
         'rows': report_count(cross_customer_sql, ['step_trainer_trusted', 'device_owners', 'accelerometer_trusted'], built)},
    ] %}

    {{ return({
        'build': {
            'build_id': invocation_id,
            'command': 'dbt ' ~ flags.WHICH,
            'target': target.name,
            'policy': var('consent_policy'),
            'landing': landing_root(),
            'lake': lake_root(),
            'database': target.path,
            'started_at': run_started_at.strftime('%Y-%m-%dT%H:%M:%SZ'),
            'published': not reason,
            'not_published_reason': reason or none,
        },
        'zones': zones,
        'funnel': funnel,
        'exclusions': exclusions,
        'quarantine': report_quarantine(built),
        'erasures': report_erasures(),
        'privacy_tests': report_privacy_tests(results),
    }) }}
{% endmacro %}

{#-
    The quarantine by source, reason and field, with one example each: where it is (file
    name, line number) and the line's shape with its values masked (report_redacted_line).
-#}
{% macro report_quarantine(built) %}
    {% if 'rejected_records' not in built %}{{ return(none) }}{% endif %}
    {% set grouped %}
        with rejected_records as (

            select
                source_name,
                rejection_reason,
                coalesce(rejected_field, '') as rejected_field,
                source_file,
                line_number,
                rejected_line
            from {{ built['rejected_records'] }}

        ),

        numbered as (

            select
                *,
                count(*) over (partition by source_name, rejection_reason, rejected_field) as lines,
                row_number() over (
                    partition by source_name, rejection_reason, rejected_field
                    order by source_file, line_number
                ) as example_rank
            from rejected_records

        )

        select
            source_name,
            rejection_reason,
            rejected_field,
            lines,
            regexp_extract(source_file, '[^/]*$') as example_file,
            line_number as example_line,
            coalesce(length(rejected_line), 0) as example_length,
            coalesce({{ report_redacted_line('rejected_line') }}, '') as example_shape
        from numbered
        where example_rank = 1
        order by source_name, rejection_reason, rejected_field
    {% endset %}
    {% set groups = [] %}
    {% for row in run_query(grouped).rows %}
        {% do groups.append({
            'source': row[0], 'reason': row[1], 'field': row[2], 'lines': row[3] | int,
            'example': {'file': row[4], 'line_number': row[5] | int, 'length': row[6] | int, 'shape': row[7]},
        }) %}
    {% endfor %}
    {{ return({'lines': groups | sum(attribute='lines'), 'groups': groups}) }}
{% endmacro %}

{#-
    A landing line with no personal data left: its first 120 characters, split at double
    quotes; a piece that is a declared JSON key of its source (landing_fields) stays, in every
    other piece each digit becomes 9 and each other character that is not ASCII punctuation
    or space becomes x. So `{"email":"ann@x.com","phone":"801-555"}` shows as
    `{"email":"xxx@x.xxx","phone":"999-999"}`: the shape, never a value.
-#}
{% macro report_redacted_line(line) %}
    {%- set keys = [] -%}
    {%- for source in landing_source_names() -%}
        {%- for field in landing_fields(source) %}{% do keys.append(field.key) %}{% endfor -%}
    {%- endfor -%}
    array_to_string(
        list_transform(
            string_split(left({{ line }}, 120), '"'),
            piece -> case
                when piece in ({% for key in keys | unique %}{{ sql_string(key) }}{{ ', ' if not loop.last }}{% endfor %}) then piece
                else regexp_replace(regexp_replace(piece, '[0-9]', '9', 'g'), '[^\s!-/:-@\[-`{-~9]', 'x', 'g')
            end
        ),
        '"'
    ) || case when length({{ line }}) > 120 then '…' else '' end
{% endmacro %}

{#-
    Erasures (issue 14): none requested while the build has no landing.erasure_log; otherwise
    its rows. Small on purpose: the erasure work decides what the log holds.
-#}
{% macro report_erasures() %}
    {% set log_relation = adapter.get_relation(database=target.database, schema='landing', identifier='erasure_log') %}
    {% if log_relation is none %}
        {{ return({'log': none, 'erasures': 0}) }}
    {% endif %}
    {% set rows = run_query("select count(*) from " ~ log_relation).columns[0].values()[0] | int %}
    {{ return({'log': 'landing.erasure_log', 'erasures': rows}) }}
{% endmacro %}

{#-
    Every test tagged `privacy` that this invocation ran, with its result; tagged data tests
    it did not run, as not run. A unit test's result carries no tags (dbt drops them when it
    runs one), so every unit test goes with `tagged: none` and stedi/report_page.py keeps
    those the manifest tags `privacy`.
-#}
{% macro report_privacy_tests(results) %}
    {% set tests = [] %}
    {% set ran = [] %}
    {% for result in results
        if (result.node.resource_type == 'test' and 'privacy' in result.node.tags)
        or result.node.resource_type == 'unit_test' %}
        {% do ran.append(result.node.unique_id) %}
        {% do tests.append({
            'unique_id': result.node.unique_id,
            'name': result.node.name,
            'kind': 'unit test' if result.node.resource_type == 'unit_test' else 'data test',
            'tagged': none if result.node.resource_type == 'unit_test' else true,
            'status': result.status | string,
            'failures': result.failures,
        }) %}
    {% endfor %}
    {% for node in graph.nodes.values()
        if node.resource_type == 'test' and 'privacy' in node.tags and node.unique_id not in ran %}
        {% do tests.append({
            'unique_id': node.unique_id, 'name': node.name, 'kind': 'data test', 'tagged': true,
            'status': 'not run', 'failures': none,
        }) %}
    {% endfor %}
    {{ return(tests | sort(attribute='name')) }}
{% endmacro %}
