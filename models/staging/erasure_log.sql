{{ config(materialized='table') }}

-- The erasure log ($STEDI_LANDING/erasure_log/) as a table: one row per erased customer
-- per erasure run, without personal data (docs/erasure.md).
with erasure_log as (

    {{ erasure_log_rows() }}

)

select * from erasure_log
