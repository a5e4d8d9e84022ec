-- NPS, CSAT and survey response rate per month, overall and by segment (docs/metrics.md, Satisfaction).
with

months as (
    select
        month,
        month_end
    from {{ ref('int_reporting_months') }}
),

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

surveys as (
    select * from {{ ref('stg_survey_responses') }}
),

customers as (
    select
        customer_id,
        segment
    from {{ ref('stg_customers') }}
),

dimensions as (
    select
        customer_id,
        segment
    from {{ ref('int_customer_dimensions') }}
),

-- Segment at the first active month; customers never active keep their raw segment.
customer_segments as (
    select
        customers.customer_id,
        coalesce(dimensions.segment, customers.segment, 'unknown') as segment
    from customers
    left join dimensions on customers.customer_id = dimensions.customer_id
),

-- Answers count in the month they were received, surveys sent in the month they were sent;
-- nothing after the as-of date is read.
answered_surveys as (
    select
        {{ month_of('surveys.responded_at') }} as answer_month,
        surveys.survey_type,
        surveys.score,
        customer_segments.segment
    from surveys
    inner join customer_segments on surveys.customer_id = customer_segments.customer_id
    where cast(surveys.responded_at as date) <= (select as_of.as_of_date from as_of)
),

sent_surveys as (
    select
        {{ month_of('surveys.sent_at') }} as sent_month,
        customer_segments.segment,
        case
            when cast(surveys.responded_at as date) <= (select as_of.as_of_date from as_of) then 1 else 0
        end as is_answered
    from surveys
    inner join customer_segments on surveys.customer_id = customer_segments.customer_id
    where cast(surveys.sent_at as date) <= (select as_of.as_of_date from as_of)
),

answers as (
    select
        answer_month as month,
        'all' as dimension,
        'all' as dimension_value,
        survey_type,
        score
    from answered_surveys
    union all
    select
        answer_month as month,
        'segment' as dimension,
        segment as dimension_value,
        survey_type,
        score
    from answered_surveys
),

sent as (
    select
        sent_month as month,
        'all' as dimension,
        'all' as dimension_value,
        is_answered
    from sent_surveys
    union all
    select
        sent_month as month,
        'segment' as dimension,
        segment as dimension_value,
        is_answered
    from sent_surveys
),

answer_counts as (
    select
        month,
        dimension,
        dimension_value,
        sum(case when survey_type = 'nps' and score >= 9 then 1 else 0 end) as promoters,
        sum(case when survey_type = 'nps' and score between 7 and 8 then 1 else 0 end) as passives,
        sum(case when survey_type = 'nps' and score <= 6 then 1 else 0 end) as detractors,
        sum(case when survey_type = 'nps' then 1 else 0 end) as nps_answers,
        sum(case when survey_type = 'csat' and score >= 4 then 1 else 0 end) as csat_satisfied,
        sum(case when survey_type = 'csat' then 1 else 0 end) as csat_answers
    from answers
    group by month, dimension, dimension_value
),

sent_counts as (
    select
        month,
        dimension,
        dimension_value,
        count(*) as surveys_sent,
        sum(is_answered) as surveys_answered
    from sent
    group by month, dimension, dimension_value
),

dimension_values as (
    select
        'all' as dimension,
        'all' as dimension_value
    union all
    select distinct
        'segment' as dimension,
        segment as dimension_value
    from customer_segments
),

-- Every dimension value has a row for every month, zeros included.
grid as (
    select
        months.month,
        dimension_values.dimension,
        dimension_values.dimension_value,
        coalesce(answer_counts.promoters, 0) as promoters,
        coalesce(answer_counts.passives, 0) as passives,
        coalesce(answer_counts.detractors, 0) as detractors,
        coalesce(answer_counts.nps_answers, 0) as nps_answers,
        coalesce(answer_counts.csat_satisfied, 0) as csat_satisfied,
        coalesce(answer_counts.csat_answers, 0) as csat_answers,
        coalesce(sent_counts.surveys_sent, 0) as surveys_sent,
        coalesce(sent_counts.surveys_answered, 0) as surveys_answered
    from months
    cross join dimension_values
    left join answer_counts
        on
            months.month = answer_counts.month
            and dimension_values.dimension = answer_counts.dimension
            and dimension_values.dimension_value = answer_counts.dimension_value
    left join sent_counts
        on
            months.month = sent_counts.month
            and dimension_values.dimension = sent_counts.dimension
            and dimension_values.dimension_value = sent_counts.dimension_value
),

final as (
    select
        month,
        dimension,
        dimension_value,
        cast(100 * {{ safe_divide('promoters - detractors', 'nps_answers') }} as {{ type_rate() }}) as nps,
        cast(promoters as {{ dbt.type_bigint() }}) as promoters,
        cast(passives as {{ dbt.type_bigint() }}) as passives,
        cast(detractors as {{ dbt.type_bigint() }}) as detractors,
        cast(nps_answers as {{ dbt.type_bigint() }}) as nps_answers,
        {{ safe_divide('csat_satisfied', 'csat_answers') }} as csat,
        cast(csat_satisfied as {{ dbt.type_bigint() }}) as csat_satisfied,
        cast(csat_answers as {{ dbt.type_bigint() }}) as csat_answers,
        cast(nps_answers + csat_answers as {{ dbt.type_bigint() }}) as answers,
        cast(surveys_sent as {{ dbt.type_bigint() }}) as surveys_sent,
        cast(surveys_answered as {{ dbt.type_bigint() }}) as surveys_answered,
        {{ safe_divide('surveys_answered', 'surveys_sent') }} as response_rate
    from grid
)

select * from final
