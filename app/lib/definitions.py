"""One plain-language line per figure, from docs/metrics.md (the team's definitions), shown on hover."""

from __future__ import annotations

DEFINITIONS: dict[str, str] = {
    "mrr": "Monthly recurring revenue: what active customers pay per month for their subscriptions on the last "
    "day of the month, in the reporting currency (one-off charges and prorations excluded).",
    "arr": "Annual run rate: 12 × MRR.",
    "active_customers": "Customers paying a subscription (MRR above 0) on the last day of the month.",
    "arpa": "Average revenue per account: MRR ÷ active customers.",
    "customer_churn_rate": "Customer (logo) churn: customers who stopped paying this month ÷ customers active "
    "last month.",
    "gross_revenue_churn_rate": "Gross revenue churn: MRR lost to churn and downgrades this month ÷ last month's "
    "MRR (at this month's exchange rates).",
    "net_revenue_churn_rate": "Net revenue churn: MRR lost to churn and downgrades minus MRR gained from "
    "upgrades, ÷ last month's MRR. Below 0 means upgrades more than made up for the losses (negative churn).",
    "nrr": "Net revenue retention: 1 − net revenue churn. The share of last month's MRR kept this month, "
    "upgrades included; more than all of it means the existing customers grew.",
    "grr": "Gross revenue retention: 1 − gross revenue churn. The share of last month's MRR kept, upgrades "
    "not counted.",
    "quick_ratio": "Quick ratio: MRR gained (new + reactivation + expansion) ÷ MRR lost (churn + contraction). "
    "Above 1 means the business grew faster than it leaked.",
    "expansion_share": "Expansion share: the part of newly booked MRR (new + expansion + reactivation) that "
    "came from existing customers paying more.",
    "new_mrr": "New MRR: the MRR of customers paying for the first time this month.",
    "expansion_mrr": "Expansion MRR: the extra MRR of customers who pay more than last month.",
    "reactivation_mrr": "Reactivation MRR: the MRR of former customers who came back this month.",
    "contraction_mrr": "Contraction MRR: the MRR lost by customers who pay less than last month but still pay.",
    "churn_mrr": "Churned MRR: last month's MRR of customers who pay nothing this month.",
    "fx_adjustment_mrr": "Exchange-rate effect: how much last month's MRR changed only because exchange rates "
    "moved (movements are measured at this month's rates).",
    "logo_retention": "Logo retention: the share of a cohort's customers still paying N months after their first "
    "paying month.",
    "revenue_retention": "Revenue retention: a cohort's MRR N months on ÷ its MRR in its first month (at the "
    "same exchange rates); more than its first month's when upgrades outweigh losses.",
    "reactivation_rate": "Reactivation rate: former customers who came back this month ÷ all former customers "
    "(churned earlier and not back yet).",
    "win_back": "Win-back within n months: of the customers who churned in a month, the share who came back "
    "within the next n months (known once those months are complete).",
    "cltv_simple": "Simple lifetime value: ARPA × gross margin ÷ the average customer churn rate of the last 3 "
    "months, as most SaaS dashboards show it.",
    "cltv_predicted": "Predicted lifetime value: current MRR × gross margin × the discounted number of further "
    "months the customer is expected to stay, from a retention model fitted per segment and billing interval "
    "that counts renewals (monthly, quarterly, half-yearly or yearly).",
    "observed_survival": "Observed survival: the share of customers who never churned by each renewal, "
    "pooling every cohort (product-limit estimate).",
    "fitted_survival": "Model: the retention model's expected share of new customers never churned by each renewal; "
    "beyond the observed ages it is a projection.",
    "nps": "Net Promoter Score: % of answers scoring 9–10 minus % scoring 0–6, over NPS answers received this "
    "month (from −100 to 100).",
    "csat": "Customer satisfaction: the share of CSAT answers scoring 4 or 5.",
    "response_rate": "Survey response rate: surveys answered ÷ surveys sent, over the surveys sent this month.",
    "answers": "Survey answers (NPS and CSAT) received this month.",
    "risk_score": "Risk score: from 0 (healthy) to 1 (very likely to leave), from the warning signals below.",
    "mrr_at_risk": "MRR at risk: the current MRR of a customer showing warning signs, which would be lost if they "
    "left.",
    "quarantined_rows": "Quarantined rows: raw rows that broke a data rule and were set aside with a reason, "
    "never silently dropped.",
}

SIGNALS: dict[str, str] = {
    "inactive": "No product activity for 30 days or more",
    "usage_drop": "Product activity fell sharply compared with the 30 days before",
    "spend_decline": "Pays less than 3 months ago, or buys far less one-off",
    "survey_silence": "Ignored the last 2 surveys",
    "detractor": "Latest survey answer was unhappy (NPS 0–6 or CSAT 1–2)",
    "complaints_rising": "More complaints than before, or a complaint open for over a week",
    "payment_failing": "A recent card payment failed and has not been paid since",
    "email_disengaged": "Stopped opening or clicking our emails",
}


# The same signs in a few words, where a chart has room for no more.
SIGNALS_SHORT: dict[str, str] = {
    "inactive": "No activity for 30 days",
    "usage_drop": "Activity fell sharply",
    "spend_decline": "Pays or buys less",
    "survey_silence": "Ignored 2 surveys",
    "detractor": "Unhappy survey answer",
    "complaints_rising": "Complaints rising or open",
    "payment_failing": "Card payment failing",
    "email_disengaged": "Ignores our emails",
}


def define(figure: str) -> str:
    """The hover text of a figure; empty when none is written."""
    return DEFINITIONS.get(figure, "")


def signal_label(signal: str) -> str:
    """A warning signal code in words (the code itself when unknown)."""
    return SIGNALS.get(signal, signal.replace("_", " "))
