"""The sections the Reactivation and Satisfaction pages gain: the win-back campaign funnel and its uplift, and
the themes of survey comments with examples. Each page calls one function; an older warehouse without these
marts gets a one-line note instead."""

from __future__ import annotations

import streamlit as st

from lib import campaigns, data, display, formatting
from lib.controls import Context


def win_back_campaigns(context: Context) -> None:
    """The e-mail funnel of every campaign over the period, and each win-back campaign's measured uplift."""
    st.subheader("E-mail campaigns: sent, opened, clicked, and who came back")
    if not (data.has(context.warehouse, "marts.campaign_monthly")
            and data.has(context.warehouse, "marts.win_back_uplift")):
        st.caption("This warehouse was built without the campaign marts; rebuild it to see them.")
        return
    table = campaigns.funnel_table(campaigns.campaign_monthly(context.warehouse), context.start, context.end)
    st.caption(f"E-mails sent {context.period_label}. An e-mail opened twice counts once; a lapsed customer "
               "had paid before and was not paying on the day of the e-mail.")
    display.plain_table(campaigns.funnel_display(table, context.currency))

    st.subheader("Win-back uplift: did the e-mail bring customers back?")
    uplift = campaigns.win_back_uplift(context.warehouse)
    if uplift.empty:
        st.caption("No win-back campaign (one sent mostly to lapsed customers) in this warehouse.")
        return
    for _, row in uplift.iterrows():
        st.markdown(f"**{formatting.markdown_text(formatting.category(row['campaign']))}**")
        with display.tiles():
            display.simple_metric("Back within 3 months, sent",
                                  formatting.percent(row["sent_reactivation_rate"]),
                                  help_text="Churned customers sent the campaign in their churn month or the next.")
            display.simple_metric("Back within 3 months, not sent",
                                  formatting.percent(row["comparison_reactivation_rate"]),
                                  help_text="Churned customers of the same churn months and segments not sent it.")
            display.simple_metric("Uplift", formatting.points(row["uplift"]),
                                  help_text="The difference between the two, compared within the same churn "
                                            "month and segment; below it, the range it likely lies in.")
        if row["is_comparison_too_small"]:
            st.warning(campaigns.uplift_sentence(row))
        else:
            st.caption(campaigns.uplift_sentence(row))


def comment_themes(context: Context, dimension: str, value: str) -> None:
    """What survey comments talk about, by respondent group, before churn against staying, with examples."""
    st.subheader("What the comments say")
    if not all(data.has(context.warehouse, f"marts.{name}")
               for name in ("feedback_themes", "feedback_themes_monthly", "feedback_themes_churn")):
        st.caption("This warehouse was built without the comment-theme marts; rebuild it to see them.")
        return
    counts = campaigns.theme_counts(context.warehouse, dimension, value, context.start, context.end)
    st.caption(f"{context.filter_caption} · comments received {context.period_label}. A comment may carry "
               "several themes, so a group's shares can add up to more than the whole.")
    display.plain_table(campaigns.theme_share_display(campaigns.theme_share_table(counts)))

    st.markdown("**Themes of customers who left within 3 months of their comment, against those who stayed**")
    display.plain_table(campaigns.theme_churn_display(campaigns.theme_churn(context.warehouse)))

    comments = campaigns.themed_comments(context.warehouse, dimension, value, context.start, context.end)
    st.markdown("**Example comments, the newest of each theme**")
    display.plain_table(campaigns.theme_examples(comments))
    st.download_button(
        "Download the period's comments and themes (CSV)",
        campaigns.comments_csv(comments),
        file_name="comment_themes.csv",
        mime="text/csv",
    )
