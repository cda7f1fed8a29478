{#-
    The consent rules on which the two policies differ, each written once. Every macro
    renders the SQL of the policy in force (dbt var `consent_policy`) and nothing of the
    other, so the compiled SQL a reviewer reads holds one policy only. The rules are
    explained in models/docs/consent_rules.md; the rules both policies share are plain SQL
    in the models.
-#}

{#-
    Both policies: a customer's records, latest first. The first is the current record
    (customer_records; the erasure finds a device's current owners by it too).
-#}
{% macro latest_record_first(line_number='line_number') -%}
    last_update_ms desc, source_file desc, {{ line_number }} desc
{%- endmacro %}

{#- Which customer records speak for a customer: strict, the current record only. -#}
{% macro current_record_only(is_current_record) -%}
    {{ policy_rule(strict=is_current_record, rubric='true') }}
{%- endmacro %}

{#- Which readings of a consenting customer are kept: strict, those at or after consent. -#}
{% macro taken_after_consent(reading_ms, research_consent_ms) -%}
    {{ policy_rule(strict='(' ~ reading_ms ~ ' >= ' ~ research_consent_ms ~ ')', rubric='true') }}
{%- endmacro %}

{#- Which device readings can be attributed: strict, those of a device with one current owner. -#}
{% macro device_has_one_owner(current_owners) -%}
    {{ policy_rule(strict='(' ~ current_owners ~ ' = 1)', rubric='true') }}
{%- endmacro %}

{#- Which phone readings pair with a device reading of the same instant: strict, the owner's. -#}
{% macro paired_with_owner(device_owner_key, phone_user_key) -%}
    {{ policy_rule(strict='(' ~ device_owner_key ~ ' = ' ~ phone_user_key ~ ')', rubric='true') }}
{%- endmacro %}

{#- Whether a rule, rendered with placeholder arguments, holds anything back under the
    policy in force (a rule that does not apply renders `true`). -#}
{% macro rule_applies(rendered_rule) -%}
    {{ return(rendered_rule | trim != 'true') }}
{%- endmacro %}

{#- Whether a device reading pairs with its owner's phone readings only (paired_with_owner),
    so a subject's machine-learning rows depend on that subject alone. -#}
{% macro pairs_within_customer() -%}
    {{ return(rule_applies(paired_with_owner('device_owner', 'phone_user'))) }}
{%- endmacro %}

{#-
    The SQL of the policy in force; check_consent_policy has vetted its name. Never a bare
    name in parentheses: Spark reads `from t where (x)` as an alias `where` with columns.
-#}
{% macro policy_rule(strict, rubric) -%}
    {%- if var('consent_policy') == 'rubric' -%}
        {{ rubric }}
    {%- else -%}
        {{ strict }}
    {%- endif -%}
{%- endmacro %}

{#- on-run-start: an unknown policy stops the build before anything runs. -#}
{% macro check_consent_policy() %}
    {% if var('consent_policy') not in ['strict', 'rubric'] %}
        {{ exceptions.raise_compiler_error(
            "consent_policy must be 'strict' or 'rubric', got '" ~ var('consent_policy') ~ "'"
        ) }}
    {% endif %}
{% endmacro %}
