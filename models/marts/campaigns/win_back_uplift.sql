-- Per win-back campaign, the reactivation within 3 months of churned customers sent the campaign against
-- comparable churned customers (same churn month and segment) not sent it: the Mantel-Haenszel difference over
-- churn month x segment strata with a normal-approximation 95 % interval (docs/metrics.md, Campaigns: uplift).
with

as_of as (
    select as_of_date from {{ ref('int_as_of_date') }}
),

sends as (
    select * from {{ ref('int_campaign_email_sends') }}
),

win_back_campaigns as (
    select campaign from {{ ref('int_campaigns') }}
    where is_win_back_campaign
),

dimensions as (
    select
        customer_id,
        segment
    from {{ ref('int_customer_dimensions') }}
),

-- Churns with a cancellation (voluntary or involuntary: the customers a win-back campaign is for; a pause or
-- a billing gap is not one) whose three following months are complete, so the outcome is known.
churns as (
    select
        churns.customer_id,
        churns.churn_month,
        coalesce(dimensions.segment, 'unknown') as segment,
        case when churns.months_to_win_back <= 3 then 1 else 0 end as is_won_back
    from {{ ref('int_customer_churn_win_backs') }} as churns
    inner join {{ ref('int_churned_customers') }} as churn_types
        on churns.customer_id = churn_types.customer_id and churns.churn_month = churn_types.month
    left join dimensions on churns.customer_id = dimensions.customer_id
    where
        churn_types.churn_type in ('voluntary', 'involuntary')
        and {{ month_end(add_months(3, 'churns.churn_month')) }} < (select as_of.as_of_date from as_of)
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
            and churns.churn_month <= sends.send_month
            and {{ add_months(1, 'churns.churn_month') }} >= sends.send_month
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

-- Mantel-Haenszel risk difference over the strata holding both groups, with Sato's variance, which stays valid
-- when strata are small (Greenland and Robins 1985; Sato 1989). Per stratum: a of n1 sent and c of n0 not sent
-- came back, n = n1 + n0, weight n1 * n0 / n.
stratum_terms as (
    select
        campaign,
        sent_customers,
        comparison_customers,
        cast(sent_won_back as {{ type_rate() }}) as a,
        cast(sent_customers as {{ type_rate() }}) as n1,
        cast(comparison_won_back as {{ type_rate() }}) as c,
        cast(comparison_customers as {{ type_rate() }}) as n0,
        cast(sent_customers + comparison_customers as {{ type_rate() }}) as n
    from strata
    where sent_customers > 0 and comparison_customers > 0
),

sums as (
    select
        campaign,
        count(*) as strata,
        cast(sum(sent_customers) as {{ dbt.type_bigint() }}) as sent_customers,
        cast(sum(comparison_customers) as {{ dbt.type_bigint() }}) as comparison_customers,
        {{ exact_sum('n1 * n0 / n') }} as weight,
        {{ exact_sum('a * n0 / n') }} as weighted_sent_won_back,
        {{ exact_sum('c * n1 / n') }} as weighted_comparison_won_back,
        {{ exact_sum('(n1 * n1 * c - n0 * n0 * a + n1 * n0 * (n0 - n1) / 2) / (n * n)') }} as sato_p,
        {{ exact_sum('(a * (n0 - c) + c * (n1 - a)) / (2 * n)') }} as sato_q
    from stratum_terms
    group by campaign
),

pooled as (
    select
        campaign,
        strata,
        sent_customers,
        comparison_customers,
        weighted_sent_won_back / weight as sent_reactivation_rate,
        weighted_comparison_won_back / weight as comparison_reactivation_rate,
        (weighted_sent_won_back - weighted_comparison_won_back) / weight as risk_difference,
        sqrt(greatest(
            ((weighted_sent_won_back - weighted_comparison_won_back) / weight * sato_p + sato_q)
            / (weight * weight),
            0
        )) as uplift_standard_error
    from sums
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
                then pooled.risk_difference
        end as uplift,
        case
            when pooled.comparison_customers >= {{ var('uplift_min_comparison_customers') }}
                then pooled.uplift_standard_error
        end as uplift_standard_error,
        case
            when pooled.comparison_customers >= {{ var('uplift_min_comparison_customers') }}
                then pooled.risk_difference - 1.959964 * pooled.uplift_standard_error
        end as uplift_ci_low,
        case
            when pooled.comparison_customers >= {{ var('uplift_min_comparison_customers') }}
                then pooled.risk_difference + 1.959964 * pooled.uplift_standard_error
        end as uplift_ci_high
    from win_back_campaigns
    left join pooled on win_back_campaigns.campaign = pooled.campaign
    left join totals on win_back_campaigns.campaign = totals.campaign
)

select * from final
