-- Per comment theme, its share among the comments of customers who churned in the month of the comment or the
-- three months after it, against those who stayed (no churn in those months, all complete) (docs/metrics.md,
-- Comment themes).
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

themes as (
    select * from {{ ref('feedback_themes') }}
),

theme_names as (
    select theme from {{ ref('int_feedback_theme_names') }}
),

churns as (
    select
        customer_id,
        churn_month
    from {{ ref('int_customer_churn_win_backs') }}
),

comments as (
    select distinct
        response_id,
        customer_id,
        month
    from themes
),

outcomes as (
    select
        comments.response_id,
        case
            when count(churns.customer_id) > 0 then 'churned'
            when {{ month_end(add_months(3, 'comments.month')) }} < max(as_of.as_of_date) then 'stayed'
        end as outcome
    from comments
    cross join as_of
    left join churns
        on
            comments.customer_id = churns.customer_id
            and comments.month <= churns.churn_month
            and {{ add_months(3, 'comments.month') }} >= churns.churn_month
    group by comments.response_id, comments.month
),

counted as (
    select
        count(distinct case when outcomes.outcome = 'churned' then outcomes.response_id end) as churned_comments,
        count(distinct case when outcomes.outcome = 'stayed' then outcomes.response_id end) as stayed_comments
    from outcomes
),

theme_counts as (
    select
        themes.theme,
        count(distinct case when outcomes.outcome = 'churned' then themes.response_id end) as churned_theme_comments,
        count(distinct case when outcomes.outcome = 'stayed' then themes.response_id end) as stayed_theme_comments
    from themes
    inner join outcomes on themes.response_id = outcomes.response_id
    group by themes.theme
),

final as (
    select
        theme_names.theme,
        counted.churned_comments,
        coalesce(theme_counts.churned_theme_comments, 0) as churned_theme_comments,
        {{ safe_divide('coalesce(theme_counts.churned_theme_comments, 0)', 'counted.churned_comments') }}
            as churned_theme_share,
        counted.stayed_comments,
        coalesce(theme_counts.stayed_theme_comments, 0) as stayed_theme_comments,
        {{ safe_divide('coalesce(theme_counts.stayed_theme_comments, 0)', 'counted.stayed_comments') }}
            as stayed_theme_share
    from theme_names
    cross join counted
    left join theme_counts on theme_names.theme = theme_counts.theme
)

select * from final
