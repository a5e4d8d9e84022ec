-- The themes a comment can carry: those of the keyword seed, and `other` for a comment matching none.
with

seeded as (
    select distinct theme from {{ ref('feedback_theme_keywords') }}
),

final as (
    select theme from seeded
    union
    select 'other' as theme
)

select * from final
