with customer_landing as (

    select * from {{ ref('customer_landing') }}

),

-- One customer has several records when the website re-exports it; the record with the
-- greatest lastUpdateDate is the customer's current state, so a later record can grant or
-- withdraw consent. Ties go to the record that landed last.
records_by_recency as (

    select
        *,
        row_number() over (
            partition by customer_key
            order by {{ latest_record_first() }}
        ) as recency_rank,
        count(*) over (partition by customer_key) as landing_records
    from customer_landing

),

ranked_records as (

    select
        {{ all_columns_except(['recency_rank']) }},
        recency_rank = 1 as is_current_record
    from records_by_recency

)

select * from ranked_records
