with

source as (
    select * from {{ source('raw', 'survey_responses') }}
),

customers as (
    select customer_id from {{ ref('stg_customers') }}
),

collapsed as (
    {{ collapse_exact_duplicates('source', 'survey_responses') }}
),

typed as (
    {{ typed_raw_rows('collapsed', 'survey_responses', source('raw', 'survey_responses')) }}
),

checked as (
    select
        *,
        case
            {{ key_and_type_rules() }}
            when survey_type is null or sent_at is null then 'missing_value'
            when survey_type not in ('nps', 'csat') then 'bad_enum'
            when
                (score is null) != (responded_at is null)
                or (survey_type = 'nps' and score not between 0 and 10)
                or (survey_type = 'csat' and score not between 1 and 5)
                then 'bad_score'
            when responded_at < sent_at then 'bad_period'
            when
                sent_at > {{ build_timestamp() }}
                or responded_at > {{ build_timestamp() }}
                then 'future_timestamp'
            when
                customer_id is null
                or customer_id not in (select customers.customer_id from customers)
                then 'orphan_customer'
        end as quarantine_reason
    from typed
)

select {{ checked_raw_columns('survey_responses') }}
from checked
