"""The global controls in the sidebar (period and customer filter) and the context every page reads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import streamlit as st

from lib import data
from lib.formatting import category, markdown_text, month_label
from lib.warehouse import WarehouseId

DEFAULT_MONTHS_SHOWN = 24
DIMENSION_LABELS = {
    "all": "All customers",
    "segment": "Segment",
    "country": "Country",
    "acquisition_channel": "Acquisition channel",
    "plan_interval": "Plan interval",
}
_CONTEXT_KEY = "dashboard_context"


class NoCompleteMonth(Exception):
    """The warehouse exists but its monthly marts hold no complete month yet."""


@dataclass(frozen=True)
class Context:
    """What every page needs: the published file, the reporting currency and the chosen period and filter."""

    warehouse: WarehouseId
    currency: str
    months: tuple[date, ...]
    start: date
    end: date
    dimension: str
    value: str

    @property
    def filter_label(self) -> str:
        """`All customers` or `Segment: smb`."""
        if self.dimension == "all":
            return DIMENSION_LABELS["all"]
        return f"{DIMENSION_LABELS[self.dimension]}: {category(self.value)}"

    @property
    def filter_caption(self) -> str:
        """`filter_label` for a caption: the value comes from data, so it is shown as text, never as Markdown."""
        return markdown_text(self.filter_label)

    @property
    def currency_caption(self) -> str:
        """The reporting currency (marts.build_info) for a caption, as text."""
        return markdown_text(self.currency)

    @property
    def period_label(self) -> str:
        """`Nov 2024 – Oct 2026`."""
        return f"{month_label(self.start)} – {month_label(self.end)}"

    def scope(self, supported: tuple[str, ...]) -> tuple[str, str, str | None]:
        """The filter a page can apply (dimension, value) and, when it cannot, a note saying so."""
        if self.dimension == "all" or self.dimension in supported:
            return self.dimension, self.value, None
        if supported:
            names = " or ".join(DIMENSION_LABELS[name].lower() for name in supported)
            note = f"This page can be filtered by {names} only, so it shows all customers."
        else:
            note = "This page has no breakdown by customer group, so it shows all customers."
        return "all", "all", note


def sidebar(warehouse: WarehouseId) -> Context:
    """Draw the global controls and remember the context for the page about to run."""
    data.require(warehouse, "marts.mrr_monthly", "marts.mrr_monthly_by_dimension")
    months = data.months(warehouse)
    if not months:
        raise NoCompleteMonth()
    info = data.build_info(warehouse) if data.has(warehouse, "marts.build_info") else {}
    currency = str(info.get("reporting_currency") or "USD")
    with st.sidebar:
        st.subheader("Show")
        start, end = _period(months)
        dimension, value = _customer_filter(warehouse)
        if info:
            st.caption(
                f"Figures in {markdown_text(currency)}. Data as of {info['as_of_date']:%d %b %Y}; "
                f"marts built {info['built_at']:%d %b %Y %H:%M} UTC."
            )
    context = Context(warehouse, currency, tuple(months), start, end, dimension, value)
    st.session_state[_CONTEXT_KEY] = context
    return context


def current() -> Context:
    """The context the router set for this run."""
    return st.session_state[_CONTEXT_KEY]


def _period(months: list[date]) -> tuple[date, date]:
    if len(months) == 1:
        st.caption(f"Period: {month_label(months[0])} (the only complete month)")
        return months[0], months[0]
    default = (months[max(0, len(months) - DEFAULT_MONTHS_SHOWN)], months[-1])
    start, end = st.select_slider(
        "Period",
        options=months,
        value=default,
        format_func=month_label,
        key=f"period:{months[0]}:{months[-1]}",
        help="The months the charts cover. Headline figures are for the last month of the period, compared "
        "with the month before.",
    )
    return start, end


def _customer_filter(warehouse: WarehouseId) -> tuple[str, str]:
    values = data.dimension_values(warehouse)
    options = ["all", *values]
    dimension = st.selectbox(
        "Customers",
        options,
        format_func=DIMENSION_LABELS.get,
        key="dimension",
        help="Narrow the figures to one group of customers, taken at their first paying month. Pages whose "
        "marts have no such breakdown say so and show all customers.",
    )
    if dimension == "all":
        return "all", "all"
    value = st.selectbox(
        DIMENSION_LABELS[dimension],
        values[dimension],
        format_func=category,
        key=f"dimension_value:{dimension}:{'|'.join(values[dimension])}",
    )
    return dimension, value
