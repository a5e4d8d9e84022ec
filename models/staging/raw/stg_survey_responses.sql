with

checked as (
    select * from {{ ref('base_survey_responses') }}
),

staged as (
    select
        response_id,
        customer_id,
        survey_type,
        sent_at,
        responded_at,
        score,
        comment
    from checked
    where quarantine_reason is null
)

select * from staged
