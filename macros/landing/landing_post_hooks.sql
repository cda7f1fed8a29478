{#-
    The post-hooks of the *_landing_checked models, over the lines of the files this build
    read: number them, then quarantine the lines the reader could not take, then the
    lines of damaged .json.gz files.
-#}
{% macro landing_post_hooks(source_name) %}
    {{ return(adapter.dispatch('landing_post_hooks', 'stedi')(source_name)) }}
{% endmacro %}

{#- dbt-spark runs only in-transaction hooks (Spark has no transactions). -#}
{% macro default__landing_post_hooks(source_name) %}
    {{ return([
        {'sql': "{{ record_unreadable_lines('" ~ source_name ~ "') }}", 'transaction': true},
    ]) }}
{% endmacro %}

{#-
    One transaction after the table's commit: an UPDATE in the transaction that wrote the
    table makes the commit rewrite it (19 s instead of 3 s at 1M customers). As one
    transaction, the lines of a file are numbered only once they are all checked: a build
    killed before it commits leaves them unnumbered, to be read again.
-#}
{% macro duckdb__landing_post_hooks(source_name) %}
    {{ return([{
        'sql': "begin transaction;
            {{ number_landing_lines('" ~ source_name ~ "') }};
            {{ record_unreadable_lines('" ~ source_name ~ "') }}
            {{ record_damaged_files('" ~ source_name ~ "') }};
            commit;",
        'transaction': false,
    }]) }}
{% endmacro %}
