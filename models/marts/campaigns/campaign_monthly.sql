-- The e-mail funnel per campaign and send month, and for lapsed customers the reactivations within 30 and 90
-- days of their first send of the month with the MRR they brought back (docs/metrics.md, Campaigns).
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

-- Every send for the funnel, and apart the sends to lapsed customers: DuckDB copies a CTE that a query reads
-- twice (26.5 M sends at 1,000,000 customers).
sends as (
    select
        customer_id,
        campaign,
        send_month,
        is_opened,
        is_clicked
    from {{ ref('int_campaign_email_sends') }}
),

lapsed_sends as (
    select
        customer_id,
        campaign,
        send_month,
        sent_date,
        sent_at,
        send_number,
        reactivated_on
    from {{ ref('int_campaign_email_sends') }}
    where is_lapsed_at_send
),

customer_months as (
    select
        customer_id,
        month,
        mrr
    from {{ ref('int_customer_mrr_monthly') }}
),

campaigns as (
    select * from {{ ref('int_campaigns') }}
),

funnel as (
    select
        campaign,
        send_month as month,
        count(*) as emails_sent,
        count(distinct customer_id) as customers_reached,
        count(case when is_opened then 1 end) as unique_opens,
        count(case when is_clicked then 1 end) as unique_clicks
    from sends
    group by campaign, send_month
),

-- Each lapsed customer's first send of the campaign in the month, and the first day they paid again after it.
first_lapsed_sends as (
    select
        customer_id,
        campaign,
        send_month,
        sent_date,
        reactivated_on,
        row_number() over (
            partition by customer_id, campaign, send_month order by sent_at, send_number
        ) as lapsed_send_order
    from lapsed_sends
),

reactivations as (
    select
        first_lapsed_sends.customer_id,
        first_lapsed_sends.campaign,
        first_lapsed_sends.send_month,
        {{ dbt.datediff('first_lapsed_sends.sent_date', 'first_lapsed_sends.reactivated_on', 'day') }}
            as days_to_reactivation,
        coalesce(customer_months.mrr, 0) as reactivated_mrr
    from first_lapsed_sends
    left join customer_months
        on
            first_lapsed_sends.customer_id = customer_months.customer_id
            and {{ month_of('first_lapsed_sends.reactivated_on') }} = customer_months.month
    where first_lapsed_sends.lapsed_send_order = 1
),

won_back as (
    select
        campaign,
        send_month as month,
        count(*) as lapsed_customers_reached,
        count(case when days_to_reactivation <= 30 then 1 end) as reactivated_30d_customers,
        count(case when days_to_reactivation <= 90 then 1 end) as reactivated_90d_customers,
        sum(case when days_to_reactivation <= 30 then reactivated_mrr else 0 end) as reactivated_30d_mrr,
        sum(case when days_to_reactivation <= 90 then reactivated_mrr else 0 end) as reactivated_90d_mrr
    from reactivations
    group by campaign, send_month
),

-- Every campaign has a row for every reporting month; a window not yet complete leaves its figures null.
grid as (
    select
        campaigns.campaign,
        campaigns.is_win_back_campaign,
        months.month,
        {{ month_end(add_months(1, 'months.month')) }} < (select as_of.as_of_date from as_of) as is_30d_known,
        {{ month_end(add_months(3, 'months.month')) }} < (select as_of.as_of_date from as_of) as is_90d_known
    from campaigns
    cross join months
),

final as (
    select
        grid.campaign,
        grid.month,
        grid.is_win_back_campaign,
        coalesce(funnel.emails_sent, 0) as emails_sent,
        coalesce(funnel.customers_reached, 0) as customers_reached,
        coalesce(funnel.unique_opens, 0) as unique_opens,
        coalesce(funnel.unique_clicks, 0) as unique_clicks,
        {{ safe_divide('funnel.unique_opens', 'funnel.emails_sent') }} as open_rate,
        {{ safe_divide('funnel.unique_clicks', 'funnel.emails_sent') }} as click_rate,
        {{ safe_divide('funnel.unique_clicks', 'funnel.unique_opens') }} as click_to_open_rate,
        coalesce(won_back.lapsed_customers_reached, 0) as lapsed_customers_reached,
        case when grid.is_30d_known then coalesce(won_back.reactivated_30d_customers, 0) end
            as reactivated_30d_customers,
        case when grid.is_90d_known then coalesce(won_back.reactivated_90d_customers, 0) end
            as reactivated_90d_customers,
        case
            when grid.is_30d_known
                then {{ safe_divide('won_back.reactivated_30d_customers', 'won_back.lapsed_customers_reached') }}
        end as reactivation_rate_30d,
        case
            when grid.is_90d_known
                then {{ safe_divide('won_back.reactivated_90d_customers', 'won_back.lapsed_customers_reached') }}
        end as reactivation_rate_90d,
        -- Rounded outside the case, so both columns keep the money type's scale on PostgreSQL too.
        {{ round_money('case when grid.is_30d_known then coalesce(won_back.reactivated_30d_mrr, 0) end') }}
            as reactivated_30d_mrr,
        {{ round_money('case when grid.is_90d_known then coalesce(won_back.reactivated_90d_mrr, 0) end') }}
            as reactivated_90d_mrr
    from grid
    left join funnel
        on grid.campaign = funnel.campaign and grid.month = funnel.month
    left join won_back
        on grid.campaign = won_back.campaign and grid.month = won_back.month
)

select * from final
