-- The anchor of the benchmark: the strict consent rules written by hand as one DuckDB
-- script over the landing JSON, with none of the framework (no dbt, no per-line checks,
-- no quarantine, no lineage, no tests), so that the build's extra cost is visible.
-- bench/run.py runs it on a database file (so it can spill) with the build's memory limit
-- and threads, after setting three variables:
--   landing        the landing folder (customer/, accelerometer/, step_trainer/)
--   lake           an existing folder for the five Parquet files
--   pseudonym_key  the key of subject_id
-- The rules are those of models/ and macros/consent/consent_rules.sql under strict.

-- Customer records, typed. A table keeps the reader's order, so rowid is the line order.
create or replace table customer_landing as
select
    lower(trim(email)) as customer_key,
    email,
    customername as customer_name,
    phone,
    birthday as birth_day,
    serialnumber as serial_number,
    registrationdate as registration_ms,
    lastupdatedate as last_update_ms,
    sharewithresearchasofdate as research_consent_ms,
    sharewithpublicasofdate as public_consent_ms,
    sharewithfriendsasofdate as friends_consent_ms,
    filename as source_file
from read_json(
    getvariable('landing') || '/customer/*.json*',
    format = 'newline_delimited',
    filename = true,
    columns = {
        customerName: 'VARCHAR', email: 'VARCHAR', phone: 'VARCHAR', birthDay: 'VARCHAR',
        serialNumber: 'VARCHAR', registrationDate: 'BIGINT', lastUpdateDate: 'BIGINT',
        shareWithResearchAsOfDate: 'BIGINT', shareWithPublicAsOfDate: 'BIGINT',
        shareWithFriendsAsOfDate: 'BIGINT'
    }
);

-- Current record per customer: latest lastUpdateDate; ties to the later file, then line.
create or replace table customer_state as
select * exclude (landing_records_rank)
from (
    select
        *,
        count(*) over (partition by customer_key) as landing_records,
        row_number() over (
            partition by customer_key
            order by last_update_ms desc, source_file desc, rowid desc
        ) as landing_records_rank
    from customer_landing
)
where landing_records_rank = 1;

-- Devices with exactly one current owner.
create or replace table attributable_devices as
select serial_number, min(customer_key) as owner_key
from customer_state
group by serial_number
having count(*) = 1;

-- Consent is a research-consent date. Each consenting customer gets a number: readings are
-- grouped on it rather than on the e-mail text.
create or replace table customer_trusted as
select
    row_number() over (order by customer_key) as customer_number,
    customer_key,
    email,
    customer_name,
    phone,
    birth_day,
    serial_number,
    registration_ms,
    epoch_ms(registration_ms) as registration_at,
    last_update_ms,
    epoch_ms(last_update_ms) as last_update_at,
    research_consent_ms,
    epoch_ms(research_consent_ms) as research_consent_at,
    public_consent_ms,
    epoch_ms(public_consent_ms) as public_consent_at,
    friends_consent_ms,
    epoch_ms(friends_consent_ms) as friends_consent_at,
    landing_records,
    source_file
from customer_state
where research_consent_ms is not null;

-- Phone readings of consenting customers at or after consent, one row per distinct
-- (customer, instant, x, y, z).
create or replace table accelerometer_readings as
select
    customer_trusted.customer_number,
    phone.timestamp as reading_ms,
    phone.x,
    phone.y,
    phone.z,
    count(*) as landing_copies
from read_json(
    getvariable('landing') || '/accelerometer/*.json*',
    format = 'newline_delimited',
    columns = {user: 'VARCHAR', timestamp: 'BIGINT', x: 'DOUBLE', y: 'DOUBLE', z: 'DOUBLE'}
) as phone
inner join customer_trusted on lower(trim(phone.user)) = customer_trusted.customer_key
where phone.timestamp >= customer_trusted.research_consent_ms
group by all;

-- Curated customers: consenting, with at least one trusted phone reading.
create or replace table customer_curated as
select *
from customer_trusted
where customer_number in (select customer_number from accelerometer_readings);

-- Device readings of curated customers' devices with one current owner, at or after the
-- owner's consent, one row per distinct (device, instant, distance).
create or replace table step_trainer_readings as
select
    device.serialNumber as serial_number,
    customer_curated.customer_number,
    device.sensorReadingTime as sensor_reading_ms,
    device.distanceFromObject as distance_from_object,
    count(*) as landing_copies
from read_json(
    getvariable('landing') || '/step_trainer/*.json*',
    format = 'newline_delimited',
    columns = {sensorReadingTime: 'BIGINT', serialNumber: 'VARCHAR', distanceFromObject: 'BIGINT'}
) as device
inner join attributable_devices on device.serialNumber = attributable_devices.serial_number
inner join customer_curated on attributable_devices.owner_key = customer_curated.customer_key
where device.sensorReadingTime >= customer_curated.research_consent_ms
group by all;

-- Each device reading with its owner's phone readings of the same instant; the customer as
-- a keyed pseudonym, hashed once per customer; in subject and time order.
create or replace table machine_learning_curated as
with subjects as (
    select
        customer_number,
        sha256(getvariable('pseudonym_key') || chr(31) || customer_key) as subject_id
    from customer_curated
)
select
    subjects.subject_id,
    step_trainer_readings.sensor_reading_ms,
    epoch_ms(step_trainer_readings.sensor_reading_ms) as sensor_reading_at,
    step_trainer_readings.distance_from_object,
    accelerometer_readings.x,
    accelerometer_readings.y,
    accelerometer_readings.z
from step_trainer_readings
inner join accelerometer_readings
    on step_trainer_readings.customer_number = accelerometer_readings.customer_number
    and step_trainer_readings.sensor_reading_ms = accelerometer_readings.reading_ms
inner join subjects on step_trainer_readings.customer_number = subjects.customer_number
order by subjects.subject_id, step_trainer_readings.sensor_reading_ms;

-- Parquet out, zstd as the build publishes.
copy (select * exclude (customer_number) from customer_trusted)
to (getvariable('lake') || '/customer_trusted.parquet') (format parquet, compression zstd);

copy (
    select
        customer_trusted.customer_key as user_key,
        accelerometer_readings.reading_ms,
        epoch_ms(accelerometer_readings.reading_ms) as reading_at,
        accelerometer_readings.x,
        accelerometer_readings.y,
        accelerometer_readings.z,
        accelerometer_readings.landing_copies
    from accelerometer_readings
    inner join customer_trusted
        on accelerometer_readings.customer_number = customer_trusted.customer_number
)
to (getvariable('lake') || '/accelerometer_trusted.parquet') (format parquet, compression zstd);

copy (
    select
        serial_number,
        sensor_reading_ms,
        epoch_ms(sensor_reading_ms) as sensor_reading_at,
        distance_from_object,
        landing_copies
    from step_trainer_readings
)
to (getvariable('lake') || '/step_trainer_trusted.parquet') (format parquet, compression zstd);

copy (select * exclude (customer_number) from customer_curated)
to (getvariable('lake') || '/customer_curated.parquet') (format parquet, compression zstd);

copy machine_learning_curated
to (getvariable('lake') || '/machine_learning_curated.parquet') (format parquet, compression zstd);
