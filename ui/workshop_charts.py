"""Altair chart of a workshop's readiness answers: one small panel per question, median marked.

Plain Altair (no Streamlit calls), so a test can inspect the specification. Bars are coloured by
whether the question's answers disagree (spread of at least two levels); the dashed rule is the median
(``planner.decide.consensus.MEDIAN_RULE``: the lower middle level, the same one the tables show).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from planner.decide.consensus import DISAGREEMENT_SPREAD_LEVELS, QuestionAggregate
from planner.inputs.questions import READINESS_LEVELS

AGREE_COLOR = "#1565c0"  # blue: answers within one level of each other
DISAGREE_COLOR = "#ef6c00"  # orange: a discussion prompt
PANEL_WIDTH_PX = 230
PANEL_HEIGHT_PX = 120
PANEL_COLUMNS = 3
BAR_WIDTH_PX = 26
AGREE = "Within one level"
DISAGREE = f"{DISAGREEMENT_SPREAD_LEVELS}+ levels apart: discuss"


def distribution_frame(aggregates: list[QuestionAggregate]) -> pd.DataFrame:
    """One row per readiness question and level: how many answered it, the median and the flag."""
    rows = []
    for agg in aggregates:
        if agg.kind != "readiness":
            continue
        for level, count in enumerate(agg.counts):
            rows.append({"question": agg.label, "level": level, "answers": count, "median": agg.median,
                         "agreement": DISAGREE if agg.disagreement else AGREE, "answered": agg.answered})
    return pd.DataFrame(rows, columns=["question", "level", "answers", "median", "agreement", "answered"])


def distribution_chart(aggregates: list[QuestionAggregate]) -> alt.FacetChart:
    """Bars of answers per level for each readiness question, with the median as a dashed rule."""
    frame = distribution_frame(aggregates)
    order = list(dict.fromkeys(frame["question"]))
    x = alt.X("level:Q", title="Level", scale=alt.Scale(domain=[-0.5, READINESS_LEVELS - 0.5]),
              axis=alt.Axis(values=list(range(READINESS_LEVELS)), format="d", grid=False))
    bars = alt.Chart().mark_bar(size=BAR_WIDTH_PX).encode(
        x=x,
        y=alt.Y("answers:Q", title="Answers", axis=alt.Axis(tickMinStep=1, format="d")),
        color=alt.Color("agreement:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=[AGREE, DISAGREE], range=[AGREE_COLOR, DISAGREE_COLOR])),
        tooltip=[alt.Tooltip("question:N", title="Question"), alt.Tooltip("level:Q", title="Level"),
                 alt.Tooltip("answers:Q", title="Answers")],
    )
    median = alt.Chart().transform_filter("datum.level == 0 && datum.answered > 0").mark_rule(
        color="#212121", strokeDash=[5, 3], size=2
    ).encode(x="median:Q", tooltip=[alt.Tooltip("median:Q", title="Median", format="d")])
    return (
        alt.layer(bars, median, data=frame)
        .properties(width=PANEL_WIDTH_PX, height=PANEL_HEIGHT_PX)
        .facet(facet=alt.Facet("question:N", title=None, sort=order, header=alt.Header(labelFontWeight="bold")),
               columns=PANEL_COLUMNS)
        .resolve_scale(y="shared")
    )
