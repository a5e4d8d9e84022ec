-- Every survey comment answered up to the as-of date with each theme it carries: a theme of the
-- feedback_theme_keywords seed when the comment contains one of its keywords (lower case, accents ignored),
-- several per comment allowed, else `other` (docs/metrics.md, Comment themes).
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

keywords as (
    select
        theme,
        {{ fold_text('keyword') }} as folded_keyword
    from {{ ref('feedback_theme_keywords') }}
    where keyword is not null and trim(keyword) != ''
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

comments as (
    select
        surveys.response_id,
        surveys.customer_id,
        surveys.survey_type,
        surveys.score,
        surveys.responded_at,
        {{ month_of('surveys.responded_at') }} as month,
        coalesce(dimensions.segment, customers.segment, 'unknown') as segment,
        case
            when surveys.survey_type = 'nps' and surveys.score >= 9 then 'promoter'
            when surveys.survey_type = 'nps' and surveys.score >= 7 then 'passive'
            when surveys.survey_type = 'nps' then 'detractor'
            when surveys.score >= 4 then 'promoter'
            when surveys.score = 3 then 'passive'
            else 'detractor'
        end as respondent_group,
        surveys.comment,
        {{ fold_text('surveys.comment') }} as folded_comment
    from {{ ref('stg_survey_responses') }} as surveys
    inner join customers on surveys.customer_id = customers.customer_id
    left join dimensions on surveys.customer_id = dimensions.customer_id
    where
        surveys.comment is not null
        and trim(surveys.comment) != ''
        and surveys.score is not null
        and cast(surveys.responded_at as date) <= (select as_of.as_of_date from as_of)
),

matched as (
    select distinct
        comments.response_id,
        keywords.theme
    from comments
    inner join keywords on {{ dbt.position('keywords.folded_keyword', 'comments.folded_comment') }} > 0
),

final as (
    select
        comments.response_id,
        comments.customer_id,
        comments.survey_type,
        comments.score,
        comments.respondent_group,
        comments.responded_at,
        comments.month,
        comments.segment,
        coalesce(matched.theme, 'other') as theme,
        comments.comment
    from comments
    left join matched on comments.response_id = matched.response_id
)

select * from final
