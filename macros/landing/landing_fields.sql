{#-
    The JSON keys each landing source should have, their column names and types. The
    *_landing_checked models parse with them, and the Glue landing tables describe them.
-#}
{% macro landing_fields(source_name) %}
    {%- set fields = {
        'customer': [
            {'key': 'customerName', 'column': 'customer_name', 'type': 'string', 'required': false},
            {'key': 'email', 'column': 'email', 'type': 'string', 'required': true},
            {'key': 'phone', 'column': 'phone', 'type': 'string', 'required': false},
            {'key': 'birthDay', 'column': 'birth_day', 'type': 'string', 'required': false},
            {'key': 'serialNumber', 'column': 'serial_number', 'type': 'string', 'required': true},
            {'key': 'registrationDate', 'column': 'registration_ms', 'type': 'epoch_ms', 'required': true},
            {'key': 'lastUpdateDate', 'column': 'last_update_ms', 'type': 'epoch_ms', 'required': true},
            {'key': 'shareWithResearchAsOfDate', 'column': 'research_consent_ms', 'type': 'epoch_ms', 'required': false},
            {'key': 'shareWithPublicAsOfDate', 'column': 'public_consent_ms', 'type': 'epoch_ms', 'required': false},
            {'key': 'shareWithFriendsAsOfDate', 'column': 'friends_consent_ms', 'type': 'epoch_ms', 'required': false},
        ],
        'accelerometer': [
            {'key': 'user', 'column': 'user_email', 'type': 'string', 'required': true},
            {'key': 'timestamp', 'column': 'reading_ms', 'type': 'epoch_ms', 'required': true},
            {'key': 'x', 'column': 'x', 'type': 'double', 'required': true},
            {'key': 'y', 'column': 'y', 'type': 'double', 'required': true},
            {'key': 'z', 'column': 'z', 'type': 'double', 'required': true},
        ],
        'step_trainer': [
            {'key': 'sensorReadingTime', 'column': 'sensor_reading_ms', 'type': 'epoch_ms', 'required': true},
            {'key': 'serialNumber', 'column': 'serial_number', 'type': 'string', 'required': true},
            {'key': 'distanceFromObject', 'column': 'distance_from_object', 'type': 'bigint', 'required': true},
        ],
    } -%}
    {{ return(fields[source_name]) }}
{% endmacro %}
