-- Per win-back campaign, the reactivation within 3 months of churned customers sent the campaign against
-- comparable churned customers (same churn month and segment) not sent it: a stratified difference with a
-- normal-approximation 95 % interval (docs/metrics.md, Campaigns: uplift).
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

sends as (
    select * from {{ ref('int_campaign_email_sends') }}
),

win_back_campaigns as (
    select campaign
    from sends
    group by campaign
    having 2 * sum(case when is_lapsed_at_send then 1 else 0 end) > count(*)
),

dimensions as (
    select
        customer_id,
        segment
    from {{ ref('int_customer_dimensions') }}
),

-- Churns whose three following months are complete, so the outcome is known.
churns as (
    select
        churns.customer_id,
        churns.churn_month,
        coalesce(dimensions.segment, 'unknown') as segment,
        case when churns.months_to_win_back <= 3 then 1 else 0 end as is_won_back
    from {{ ref('int_customer_churn_win_backs') }} as churns
    left join dimensions on churns.customer_id = dimensions.customer_id
    where {{ month_end(add_months(3, 'churns.churn_month')) }} < (select as_of.as_of_date from as_of)
),

-- Sent: an e-mail of the campaign reached the customer while lapsed, in the churn month or the next one.
exposures as (
    select
        win_back_campaigns.campaign,
        churns.customer_id,
        churns.churn_month,
        churns.segment,
        churns.is_won_back,
        max(case when sends.customer_id is not null then 1 else 0 end) as is_sent
    from churns
    cross join win_back_campaigns
    left join sends
        on
            churns.customer_id = sends.customer_id
            and win_back_campaigns.campaign = sends.campaign
            and sends.is_lapsed_at_send
            and sends.send_month >= churns.churn_month
            and sends.send_month <= {{ add_months(1, 'churns.churn_month') }}
    group by win_back_campaigns.campaign, churns.customer_id, churns.churn_month, churns.segment, churns.is_won_back
),

strata as (
    select
        campaign,
        churn_month,
        segment,
        count(case when is_sent = 1 then 1 end) as sent_customers,
        count(case when is_sent = 1 and is_won_back = 1 then 1 end) as sent_won_back,
        count(case when is_sent = 0 then 1 end) as comparison_customers,
        count(case when is_sent = 0 and is_won_back = 1 then 1 end) as comparison_won_back
    from exposures
    group by campaign, churn_month, segment
),

stratum_rates as (
    select
        *,
        cast(sent_won_back as {{ type_rate() }}) / sent_customers as sent_rate,
        cast(comparison_won_back as {{ type_rate() }}) / comparison_customers as comparison_rate
    from strata
    where sent_customers > 0 and comparison_customers > 0
),

-- Strata are weighted by their sent customers: the effect on the customers who were sent the campaign.
pooled as (
    select
        campaign,
        count(*) as strata,
        cast(sum(sent_customers) as {{ dbt.type_bigint() }}) as sent_customers,
        cast(sum(comparison_customers) as {{ dbt.type_bigint() }}) as comparison_customers,
        sum(sent_customers * sent_rate) / sum(sent_customers) as sent_reactivation_rate,
        sum(sent_customers * comparison_rate) / sum(sent_customers) as comparison_reactivation_rate,
        sqrt(sum(
            sent_customers * sent_customers * (
                sent_rate * (1 - sent_rate) / sent_customers
                + comparison_rate * (1 - comparison_rate) / comparison_customers
            )
        )) / sum(sent_customers) as uplift_standard_error
    from stratum_rates
    group by campaign
),

totals as (
    select
        campaign,
        cast(sum(sent_customers) as {{ dbt.type_bigint() }}) as all_sent_customers
    from strata
    group by campaign
),

final as (
    select
        win_back_campaigns.campaign,
        coalesce(totals.all_sent_customers, 0) as all_sent_customers,
        coalesce(pooled.strata, 0) as strata,
        coalesce(pooled.sent_customers, 0) as sent_customers,
        coalesce(pooled.comparison_customers, 0) as comparison_customers,
        coalesce(pooled.comparison_customers, 0) < {{ var('uplift_min_comparison_customers') }}
            as is_comparison_too_small,
        pooled.sent_reactivation_rate,
        pooled.comparison_reactivation_rate,
        case
            when pooled.comparison_customers >= {{ var('uplift_min_comparison_customers') }}
                then pooled.sent_reactivation_rate - pooled.comparison_reactivation_rate
        end as uplift,
        case
            when pooled.comparison_customers >= {{ var('uplift_min_comparison_customers') }}
                then pooled.uplift_standard_error
        end as uplift_standard_error,
        case
            when pooled.comparison_customers >= {{ var('uplift_min_comparison_customers') }}
                then pooled.sent_reactivation_rate - pooled.comparison_reactivation_rate
                - 1.959964 * pooled.uplift_standard_error
        end as uplift_ci_low,
        case
            when pooled.comparison_customers >= {{ var('uplift_min_comparison_customers') }}
                then pooled.sent_reactivation_rate - pooled.comparison_reactivation_rate
                + 1.959964 * pooled.uplift_standard_error
        end as uplift_ci_high
    from win_back_campaigns
    left join pooled on win_back_campaigns.campaign = pooled.campaign
    left join totals on win_back_campaigns.campaign = totals.campaign
)

select * from final
