{{ config(post_hook="{{ assert_quarantine_share('survey_responses') }}") }}

with

checked as (
    select * from {{ ref('base_survey_responses') }}
),

quarantined as (
    select
        quarantine_reason,
        response_id,
        customer_id,
        survey_type,
        sent_at,
        responded_at,
        score,
        comment,
        raw_copies,
        raw_values
    from checked
    where quarantine_reason is not null
)

select * from quarantined
