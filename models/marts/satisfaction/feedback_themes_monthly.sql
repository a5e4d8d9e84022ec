-- The share of each comment theme among the comments of detractors, passives and promoters, per month, overall
-- and by segment (docs/metrics.md, Comment themes).
with

months as (
    select month from {{ ref('int_reporting_months') }}
),

themes as (
    select * from {{ ref('feedback_themes') }}
),

theme_names as (
    select theme from {{ ref('int_feedback_theme_names') }}
),

groups as (
    select 'detractor' as respondent_group
    union all
    select 'passive' as respondent_group
    union all
    select 'promoter' as respondent_group
),

-- Each comment counts once in the overall rows and once in its segment's rows.
by_dimension as (
    select
        'all' as dimension,
        'all' as dimension_value,
        response_id,
        month,
        respondent_group,
        theme
    from themes
    union all
    select
        'segment' as dimension,
        segment as dimension_value,
        response_id,
        month,
        respondent_group,
        theme
    from themes
),

dimension_values as (
    select
        'all' as dimension,
        'all' as dimension_value
    union
    select distinct
        'segment' as dimension,
        segment as dimension_value
    from themes
),

comment_counts as (
    select
        dimension,
        dimension_value,
        month,
        respondent_group,
        count(distinct response_id) as group_comments
    from by_dimension
    group by dimension, dimension_value, month, respondent_group
),

theme_counts as (
    select
        dimension,
        dimension_value,
        month,
        respondent_group,
        theme,
        count(distinct response_id) as theme_comments
    from by_dimension
    group by dimension, dimension_value, month, respondent_group, theme
),

grid as (
    select
        months.month,
        dimension_values.dimension,
        dimension_values.dimension_value,
        groups.respondent_group,
        theme_names.theme
    from months
    cross join dimension_values
    cross join groups
    cross join theme_names
),

final as (
    select
        grid.month,
        grid.dimension,
        grid.dimension_value,
        grid.respondent_group,
        grid.theme,
        coalesce(comment_counts.group_comments, 0) as group_comments,
        coalesce(theme_counts.theme_comments, 0) as theme_comments,
        {{ safe_divide('coalesce(theme_counts.theme_comments, 0)', 'comment_counts.group_comments') }} as theme_share
    from grid
    left join comment_counts
        on
            grid.month = comment_counts.month
            and grid.dimension = comment_counts.dimension
            and grid.dimension_value = comment_counts.dimension_value
            and grid.respondent_group = comment_counts.respondent_group
    left join theme_counts
        on
            grid.month = theme_counts.month
            and grid.dimension = theme_counts.dimension
            and grid.dimension_value = theme_counts.dimension_value
            and grid.respondent_group = theme_counts.respondent_group
            and grid.theme = theme_counts.theme
)

select * from final
