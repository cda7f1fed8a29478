{{ config(materialized='table', post_hook="{{ record_unreadable_lines('customer') }}") }}

{%- set fields = [
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
] %}

{{ check_landing_lines(source('landing', 'customer'), fields) }}
