"""Small layout helpers shared by pages: rows of metric tiles with their definition, change and trend."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lib import formatting
from lib.definitions import define
from lib.figures import BenchmarkPoint, Headline


TILE_WIDTH = 230  # px: the narrowest tile that shows a label of about 30 characters and a money figure whole


def tiles() -> "st.delta_generator.DeltaGenerator":
    """A row of metric tiles that wraps onto the next line when the page is too narrow for them all, so that no
    label or figure is ever cut (columns would squeeze them instead). Use as `with display.tiles(): ...`."""
    return st.container(horizontal=True, wrap=True, gap="small")


def value_text(kind: str, value: float | None, currency: str) -> str:
    """A figure formatted for its kind (money, count, rate, ratio, score)."""
    if kind == "money":
        return formatting.money(value, currency)
    if kind == "count":
        return formatting.count(value)
    if kind == "rate":
        return formatting.percent(value)
    if kind == "ratio":
        return formatting.ratio(value)
    return formatting.score(value)


def change_text(kind: str, change: float | None, currency: str) -> str | None:
    """A change formatted for its kind; None when it is unknown (no arrow is drawn)."""
    if change is None or formatting.is_missing(change):
        return None
    if kind == "money":
        return formatting.money(change, currency, signed=True)
    if kind == "count":
        return formatting.signed_count(change)
    if kind == "rate":
        return formatting.points(change)
    if kind == "ratio":
        return formatting.ratio(change, signed=True)
    return formatting.score(change, signed=True)


def metric(
    headline: Headline,
    currency: str,
    *,
    compared_with: str,
    trend: pd.Series | None = None,
) -> None:
    """A bordered metric: value, change from the month before (green when it is good news), hover definition."""
    change = change_text(headline.kind, headline.change, currency)
    no_change = change is not None and not any(digit in change for digit in "123456789")
    if no_change:  # shown as zero: grey, no arrow, no sign
        change = change.lstrip("+-")
    st.metric(
        headline.label,
        value_text(headline.kind, headline.value, currency),
        delta=change,
        delta_color="off" if no_change else ("inverse" if headline.lower_is_better else "normal"),
        delta_arrow="off" if no_change else "auto",
        delta_description=f"vs {compared_with}" if change is not None else None,
        help=define(headline.key),
        border=True,
        width=TILE_WIDTH if trend is None else "stretch",
        chart_data=None if trend is None else trend.dropna().astype(float).tolist(),
        chart_type="area" if headline.kind in ("money", "count") else "line",
    )


def simple_metric(label: str, value: str, *, figure: str = "", help_text: str | None = None) -> None:
    """A bordered metric with no change."""
    st.metric(label, value, help=help_text or define(figure) or None, border=True, width="stretch")


def reference_point(point: BenchmarkPoint) -> None:
    """One published reference point as a list item: who, the figure in bold, the source in italics (as text)."""
    who, figure, source = (formatting.markdown_text(part) for part in (point.who, point.figure, point.source))
    st.markdown(f"- {who}: **{figure}**  \n  *{source}*")


def plain_table(frame: pd.DataFrame, **column_config: object) -> None:
    """A data frame without the index, full width; whole numbers with thousands separators."""
    config = {
        name: st.column_config.NumberColumn(format="localized")
        for name in frame.columns
        if pd.api.types.is_integer_dtype(frame[name]) and name not in column_config
    }
    st.dataframe(frame, hide_index=True, width="stretch", column_config={**config, **column_config} or None)
