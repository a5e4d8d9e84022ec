-- Every campaign with at least one e-mail sent, and whether it is a win-back campaign: more than half of its
-- e-mails reached lapsed customers (docs/metrics.md, E-mail campaigns and win-back uplift).
with

sends as (
    select * from {{ ref('int_campaign_email_sends') }}
),

final as (
    select
        campaign,
        2 * count(case when is_lapsed_at_send then 1 end) > count(*) as is_win_back_campaign
    from sends
    group by campaign
)

select * from final
