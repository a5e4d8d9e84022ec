"""Altair charts the pages lay out: trends, stacked movements, a waterfall, heatmaps, survival curves."""

from __future__ import annotations

import altair as alt
import pandas as pd

from lib.formatting import percent

GAIN_COLOURS = {"New": "#2e7d32", "Expansion": "#66bb6a", "Reactivation": "#26a69a"}
LOSS_COLOURS = {"Contraction": "#ffa726", "Churn": "#e53935"}
MOVEMENT_COLOURS = {**GAIN_COLOURS, **LOSS_COLOURS}
STEP_COLOURS = {"total": "#1e88e5", "fx": "#9e9e9e", "gain": "#43a047", "loss": "#e53935"}
MONTH_AXIS = alt.Axis(format="%b %Y", labelAngle=-45, title=None, labelFlush=False)
# Distinct, colour-blind-friendly line colours (Okabe-Ito).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
COUNT_FORMAT = ",.0f"
TIER_COLOURS = ["#e53935", "#fb8c00", "#43a047"]
NPS_COLOURS = {"Promoters": "#43a047", "Passives": "#bdbdbd", "Detractors": "#e53935"}
# Drawn as SVG whatever the data size (Streamlit switches large charts to canvas): text stays text, so a browser
# test can see a label that is cut or runs into another.
SVG = {"embedOptions": {"renderer": "svg"}}
NARROW = 720  # px of chart width below which a waterfall's step names no longer fit side by side


def _month_label(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add a `month_label` column (Oct 2026) and return the labels in month order, for ordinal month axes."""
    labelled = frame.copy()
    labelled["month"] = pd.to_datetime(labelled["month"])
    labelled["month_label"] = labelled["month"].dt.strftime("%b %Y")
    order = labelled.drop_duplicates("month").sort_values("month")["month_label"].tolist()
    return labelled, order


def _value_tooltip(frame: pd.DataFrame, column: str, value_format: str, title: str | None = None,
                   ) -> tuple[pd.DataFrame, alt.Tooltip]:
    """The tooltip of a chart's value: a rate (a `%` format) written as everywhere on the dashboard, one decimal and
    two below 1 % (a d3 format cannot switch precision), from a text column added to a copy of the frame; any
    other value in `value_format`."""
    if not value_format.endswith("%"):
        return frame, alt.Tooltip(f"{column}:Q", format=value_format, title=title or alt.Undefined)
    labelled = frame.copy()
    labelled[f"{column}_text"] = labelled[column].map(percent)
    return labelled, alt.Tooltip(f"{column}_text:N", title=title or column)


def money_axis_format(currency: str) -> str:
    """d3 format of money axes: `$35M` in US dollars, `35M` in other currencies (named in the caption)."""
    return "$,.3~s" if currency == "USD" else ",.3~s"


def money_tooltip_format(currency: str) -> str:
    """d3 format of money in tooltips: `$34,950,580`."""
    return "$,.0f" if currency == "USD" else ",.0f"


def _month(frame: pd.DataFrame, column: str = "month") -> pd.DataFrame:
    copy = frame.copy()
    copy[column] = pd.to_datetime(copy[column])
    return copy


def trend(
    frame: pd.DataFrame,
    series: dict[str, str],
    *,
    value_format: str,
    title: str,
    reference: float | None = None,
    reference_label: str | None = None,
    zero: bool = False,
    colours: list[str] | None = None,
    height: int = 280,
) -> alt.Chart:
    """One line per column of `series` ({column: label}) by month; the value axis fits the data unless `zero`."""
    long = _month(frame)[["month", *series]].melt("month", var_name="column", value_name="value")
    long["series"] = long["column"].map(series)
    long, value_tip = _value_tooltip(long.dropna(subset=["value"]), "value", value_format, "Value")
    columns = legend_columns(pd.Series(list(series.values())), width=250)
    legend_rows = -(-len(series) // columns)
    base = alt.Chart(long).encode(
        x=alt.X("month:T", axis=MONTH_AXIS),
        y=alt.Y("value:Q", axis=alt.Axis(format=value_format, title=None), scale=alt.Scale(zero=zero)),
        color=alt.Color(
            "series:N",
            title=None,
            sort=list(series.values()),
            scale=alt.Scale(range=colours or PALETTE),
            legend=alt.Legend(orient="top", columns=columns, labelLimit=0),
        ),
        tooltip=[
            alt.Tooltip("month:T", format="%b %Y", title="Month"),
            alt.Tooltip("series:N", title="Figure"),
            value_tip,
        ],
    )
    chart = base.mark_line(point=True)
    if reference is not None:
        rule = alt.Chart(pd.DataFrame({"value": [reference], "label": [reference_label or ""]}))
        chart = chart + rule.mark_rule(strokeDash=[4, 4], color="#757575").encode(y="value:Q") + rule.mark_text(
            align="left", dx=4, dy=-6, color="#616161"
        ).encode(y="value:Q", text="label:N", x=alt.value(0))
    return chart.properties(usermeta=SVG, title=title, height=height + 20 * (legend_rows - 1))


def mrr_area(frame: pd.DataFrame, currency: str, title: str = "MRR by month") -> alt.Chart:
    """MRR as an area over the period."""
    return (
        alt.Chart(_month(frame))
        .mark_area(line=True, opacity=0.25)
        .encode(
            x=alt.X("month:T", axis=MONTH_AXIS),
            y=alt.Y("mrr:Q", axis=alt.Axis(format=money_axis_format(currency), title=None)),
            tooltip=[
                alt.Tooltip("month:T", format="%b %Y", title="Month"),
                alt.Tooltip("mrr:Q", format=money_tooltip_format(currency), title="MRR"),
                alt.Tooltip("active_customers:Q", format=",", title="Active customers"),
            ],
        )
        .properties(usermeta=SVG, title=title, height=280)
    )


def stacked_movements(long: pd.DataFrame, currency: str) -> alt.Chart:
    """Gains stacked above zero, losses below, per month."""
    order = list(MOVEMENT_COLOURS)
    labelled, months = _month_label(long)
    return (
        alt.Chart(labelled)
        .mark_bar()
        .encode(
            x=alt.X("month_label:O", sort=months, axis=alt.Axis(labelAngle=-45, title=None)),
            y=alt.Y("mrr:Q", stack=True, axis=alt.Axis(format=money_axis_format(currency), title=None)),
            color=alt.Color(
                "movement:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=[MOVEMENT_COLOURS[name] for name in order]),
                legend=alt.Legend(orient="top"),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("month:T", format="%b %Y", title="Month"),
                alt.Tooltip("movement:N", title="Movement"),
                alt.Tooltip("mrr:Q", format=money_tooltip_format(currency), title="MRR"),
            ],
        )
        .properties(usermeta=SVG, title="MRR gained (above zero) and lost (below zero) each month", height=340)
    )


def waterfall(steps: pd.DataFrame, currency: str, title: str, axis_range: tuple[float, float]) -> alt.Chart:
    """Floating bars from last month's MRR to this month's, on an MRR axis cut to `axis_range`."""
    order = steps["step"].tolist()
    bars = (
        alt.Chart(steps)
        .mark_bar(size=42, clip=True)
        .encode(
            x=alt.X("step:N", sort=order, axis=alt.Axis(
                title=None, labelOverlap=False, labelPadding=6, labelFlush=False,
                # two words on two lines, and a smaller font on a narrow page, so that neighbours never touch
                labelAngle=0, labelExpr="split(datum.label, ' ')",
                labelFontSize={"expr": f"width < {NARROW} ? 9.5 : 11"},
            )),
            y=alt.Y(
                "start:Q",
                axis=alt.Axis(format=money_axis_format(currency), title=None),
                scale=alt.Scale(domain=list(axis_range), zero=False, nice=False),
            ),
            y2="end:Q",
            color=alt.Color(
                "kind:N",
                legend=None,
                scale=alt.Scale(domain=list(STEP_COLOURS), range=list(STEP_COLOURS.values())),
            ),
            tooltip=[
                alt.Tooltip("step:N", title="Step"),
                alt.Tooltip("amount:Q", format=money_tooltip_format(currency), title="Amount"),
                alt.Tooltip("end:Q", format=money_tooltip_format(currency), title="MRR after this step"),
            ],
        )
    )
    labels = (
        alt.Chart(steps)
        .mark_text(dy=-8, color="#424242")
        .encode(
            x=alt.X("step:N", sort=order),
            y=alt.Y("top:Q"),
            text=alt.Text("amount:Q", format=money_axis_format(currency)),
        )
        .transform_calculate(top="max(datum.start, datum.end)")
    )
    return (bars + labels).properties(usermeta=SVG, title=title, height=340)


def bars(
    frame: pd.DataFrame, category: str, value: str, *, value_format: str, title: str, colour: str = "#1e88e5"
) -> alt.Chart:
    """Horizontal bars, largest first."""
    frame, value_tip = _value_tooltip(frame, value, value_format)
    return (
        alt.Chart(frame)
        .mark_bar(color=colour)
        .encode(
            y=alt.Y(f"{category}:N", sort="-x", title=None,
                    axis=alt.Axis(labelOverlap=False, labelLimit=0, labelFlush=False)),
            x=alt.X(f"{value}:Q", axis=alt.Axis(format=value_format, title=None,
                                                tickMinStep=1 if value_format == COUNT_FORMAT else alt.Undefined)),
            tooltip=[alt.Tooltip(f"{category}:N"), value_tip],
        )
        .properties(usermeta=SVG, title=title, height=max(160, 30 * len(frame)))
    )


def stacked_by_month(
    frame: pd.DataFrame,
    category: str,
    value: str,
    *,
    value_format: str,
    title: str,
    colours: dict[str, str] | None = None,
) -> alt.Chart:
    """Bars per month stacked by a category (colours fixed by `colours`, else a palette)."""
    labelled, months = _month_label(frame)
    labelled, value_tip = _value_tooltip(labelled, value, value_format)
    columns = legend_columns(frame[category])
    legend_rows = -(-frame[category].nunique() // columns)
    scale = (
        alt.Scale(domain=list(colours), range=list(colours.values())) if colours else alt.Scale(range=PALETTE)
    )
    return (
        alt.Chart(labelled)
        .mark_bar()
        .encode(
            x=alt.X("month_label:O", sort=months, axis=alt.Axis(labelAngle=-45, title=None)),
            y=alt.Y(f"{value}:Q", axis=alt.Axis(format=value_format, title=None)),
            color=alt.Color(
                f"{category}:N",
                title=None,
                sort=list(colours) if colours else "ascending",
                scale=scale,
                legend=alt.Legend(orient="bottom", columns=columns, labelLimit=0),
            ),
            order=alt.Order("stack_order:Q"),
            tooltip=[
                alt.Tooltip("month:T", format="%b %Y", title="Month"),
                alt.Tooltip(f"{category}:N"),
                value_tip,
            ],
        )
        .transform_calculate(stack_order=_stack_order(category, colours))
        # the legend's rows come out of the chart's height: add them, so the bars keep theirs
        .properties(usermeta=SVG, title=title, height=300 + 20 * legend_rows)
    )


def legend_columns(names: pd.Series, width: int = 480) -> int:
    """How many legend columns fit in `width` px (a narrow page's chart) without cutting the longest name."""
    longest = max((len(str(name)) for name in names.dropna().unique()), default=1)
    return max(1, min(4, width // (7 * longest + 30)))


def _stack_order(category: str, colours: dict[str, str] | None) -> str:
    """A vega expression ranking the categories in the order of `colours` (first at the bottom)."""
    if not colours:
        return "0"
    names = list(colours)
    return "indexof(" + repr(names).replace("'", '"') + f", datum['{category}'])"


def heatmap(
    frame: pd.DataFrame, value: str, *, title: str, value_title: str, domain: tuple[float, float] = (0.0, 1.0)
) -> alt.Chart:
    """Cohorts down, months since start across, coloured by retention, with the value written in each cell."""
    cohorts = _month(frame, "cohort_month")
    cohorts["cohort"] = cohorts["cohort_month"].dt.strftime("%b %Y")
    cohorts, value_tip = _value_tooltip(cohorts, value, ".1%", value_title)
    order = cohorts.drop_duplicates("cohort").sort_values("cohort_month")["cohort"].tolist()
    low, high = domain
    base = alt.Chart(cohorts).encode(
        x=alt.X("months_since_start:O", title="Months since first payment", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("cohort:O", title="Cohort (first paying month)", sort=order,
                axis=alt.Axis(labelOverlap=False, labelFlush=False)),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            f"{value}:Q",
            title=value_title,
            scale=alt.Scale(scheme="blues", domain=[low, high], clamp=True),
            legend=alt.Legend(format=".0%"),
        ),
        tooltip=[
            alt.Tooltip("cohort:O", title="Cohort"),
            alt.Tooltip("months_since_start:O", title="Months since start"),
            value_tip,
            alt.Tooltip("cohort_customers:Q", format=",", title="Customers in cohort"),
            alt.Tooltip("retained_customers:Q", format=",", title="Still paying"),
        ],
    )
    ages = max(1, int(cohorts["months_since_start"].max()) + 1)
    # a cell's value only where the cells are wide enough to hold it (on a narrow page the colour says it)
    text = base.mark_text(fontSize=9, opacity={"expr": f"width / {ages} >= 26 ? 1 : 0"}).encode(
        text=alt.Text(f"{value}:Q", format=".0%"),
        color=alt.condition(f"datum.{value} > {low + 0.55 * (high - low)}", alt.value("white"), alt.value("#212121")),
    )
    return (cells + text).properties(usermeta=SVG, title=title, height=max(240, 22 * len(order)))


def retention_by_age(frame: pd.DataFrame) -> alt.Chart:
    """Average logo and revenue retention by months since start."""
    long = frame[["months_since_start", "logo_retention", "revenue_retention"]].melt(
        "months_since_start", var_name="figure", value_name="retention"
    )
    long["figure"] = long["figure"].map({"logo_retention": "Customers (logo)", "revenue_retention": "Revenue"})
    long, value_tip = _value_tooltip(long.dropna(), "retention", ".1%", "Retention")
    return (
        alt.Chart(long)
        .mark_line(point=True)
        .encode(
            x=alt.X("months_since_start:Q", title="Months since first payment"),
            y=alt.Y("retention:Q", axis=alt.Axis(format=".0%", title=None)),
            color=alt.Color("figure:N", title=None, legend=alt.Legend(orient="top")),
            tooltip=[
                alt.Tooltip("months_since_start:Q", title="Months since start"),
                alt.Tooltip("figure:N"),
                value_tip,
            ],
        )
        .properties(usermeta=SVG, title="Average retention of the cohorts shown, by age", height=280)
    )


def survival(long: pd.DataFrame, title: str) -> alt.Chart:
    """Observed survival by renewal against the retention model, the projection dashed."""
    series = ["Observed", "Model", "Model projection"]
    long, value_tip = _value_tooltip(long, "survival", ".1%", "Never churned")
    return (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X("periods_since_start:Q", title="Renewal opportunities since first payment",
                    axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("survival:Q", axis=alt.Axis(format=".0%", title="Never churned"), scale=alt.Scale(domain=[0, 1])),
            color=alt.Color(
                "series:N",
                title=None,
                sort=series,
                scale=alt.Scale(domain=series, range=["#212121", "#1e88e5", "#1e88e5"]),
                legend=alt.Legend(orient="top"),
            ),
            strokeDash=alt.StrokeDash(
                "series:N", sort=series, scale=alt.Scale(domain=series, range=[[1, 0], [1, 0], [6, 4]]), legend=None
            ),
            tooltip=[
                alt.Tooltip("series:N"),
                alt.Tooltip("periods_since_start:Q", title="Renewals since start"),
                alt.Tooltip("months_since_start:Q", title="Months since start"),
                value_tip,
            ],
        )
        .properties(usermeta=SVG, title=title, height=320)
    )


def ranges(frame: pd.DataFrame, currency: str, title: str) -> alt.Chart:
    """Per segment: the 10th-90th percentile as a thin bar, 25th-75th as a thick bar, the median as a tick."""
    money = money_axis_format(currency)
    tip = money_tooltip_format(currency)
    tooltip = [
        alt.Tooltip("segment:N", title="Segment"),
        alt.Tooltip("customers:Q", format=",", title="Paying customers"),
        alt.Tooltip("p10:Q", format=tip, title="10th percentile"),
        alt.Tooltip("p25:Q", format=tip, title="25th percentile"),
        alt.Tooltip("median_cltv:Q", format=tip, title="Median"),
        alt.Tooltip("p75:Q", format=tip, title="75th percentile"),
        alt.Tooltip("p90:Q", format=tip, title="90th percentile"),
    ]
    base = alt.Chart(frame).encode(
        y=alt.Y("segment:N", title=None, axis=alt.Axis(labelOverlap=False, labelFlush=False)), tooltip=tooltip
    )
    whisker = base.mark_rule(strokeWidth=2, color="#90caf9").encode(
        x=alt.X("p10:Q", axis=alt.Axis(format=money, title="Predicted lifetime value per customer")), x2="p90:Q"
    )
    box = base.mark_bar(size=18, color="#1e88e5").encode(x="p25:Q", x2="p75:Q")
    median = base.mark_tick(color="white", size=18, thickness=3).encode(x="median_cltv:Q")
    return (whisker + box + median).properties(usermeta=SVG, title=title, height=max(140, 48 * len(frame)))
