{#-
    Glue Data Catalog registration, after a verified build with an s3:// lake: every
    published trusted and curated table as a Parquet table over its own prefix, with the
    model's columns, types and descriptions; with an s3:// landing zone, the three landing
    tables as JSON tables over their folders. Databases: STEDI_GLUE_DATABASE (default
    `stedi`), or STEDI_GLUE_DATABASE_<ZONE> per zone; machine_learning_curated alone in
    STEDI_GLUE_DATABASE_ML (default `stedi_ml`), so it can be shared alone; created when
    missing.
-#}
{% macro glue_database(zone) %}
    {{ return(env_var('STEDI_GLUE_DATABASE_' ~ zone | upper, env_var('STEDI_GLUE_DATABASE', 'stedi'))) }}
{% endmacro %}

{% macro register_glue_tables(nodes) %}
    {% set tables = [] %}
    {% for node in nodes %}
        {% set published = api.Relation.create(database=node.database, schema=published_schema(node.config.schema), identifier=node.alias) %}
        {% set columns = [] %}
        {% for column in adapter.get_columns_in_relation(published) %}
            {% set documented = node.columns.get(column.name) %}
            {% do columns.append({
                'name': column.name,
                'type': column.dtype,
                'description': documented.description if documented else '',
            }) %}
        {% endfor %}
        {% do tables.append({
            'database': (
                env_var('STEDI_GLUE_DATABASE_ML', 'stedi_ml') if node.name == 'machine_learning_curated'
                else glue_database(node.config.schema)
            ) ~ policy_suffix(),
            'name': node.alias,
            'description': node.description,
            'format': 'parquet',
            'location': published_parquet_folder(node),
            'columns': columns,
            'parameters': build_record(),
        }) %}
    {% endfor %}

    {% if landing_root().startswith('s3://') %}
        {% set glue_types = {'string': 'VARCHAR', 'epoch_ms': 'BIGINT', 'bigint': 'BIGINT', 'double': 'DOUBLE'} %}
        {% for source_name in landing_source_names() %}
            {% set source_node = graph.sources['source.stedi.landing.' ~ source_name] %}
            {% set columns = [] %}
            {% for field in landing_fields(source_name) %}
                {% do columns.append({'name': field.key, 'type': glue_types[field.type], 'description': field.description}) %}
            {% endfor %}
            {% do tables.append({
                'database': glue_database('landing'),
                'name': source_name ~ '_landing',
                'description': source_node.description,
                'format': 'json',
                'location': landing_root() ~ '/' ~ source_name,
                'columns': columns,
            }) %}
        {% endfor %}
    {% endif %}

    {% for table in tables %}
        {% set registered = run_query("select stedi_register_glue_table(" ~ sql_string(tojson(table)) ~ ")") %}
        {{ log("Glue: " ~ registered.columns[0].values()[0], info=True) }}
    {% endfor %}
{% endmacro %}
