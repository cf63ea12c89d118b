"""Altair chart specifications of a recommendation, shared by the Results page and the PDF report.

The builders return plain Altair charts (no Streamlit here): the page renders them with
``st.altair_chart``, the report turns the same specifications into PNG with vl-convert.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from planner.questions import load_question_bank
from planner.results import Recommendation

TOWARD_COLOR = "#2e7d32"  # green: the driver pushes toward the architecture
AGAINST_COLOR = "#c62828"  # red: the driver pushes away from it
TOWARD, AGAINST = "toward", "against"
FACET_WIDTH_PX = 420  # width of one architecture's panel
BAR_HEIGHT_PX = 22  # height per driver row
DRIVER_LABEL_LIMIT_PX = 260  # longer driver names are cut with an ellipsis


def driver_label(driver: str) -> str:
    """A driver key as a reader sees it: 'update_cadence' -> 'Update cadence', readiness by question label."""
    if driver.startswith("readiness."):
        key = driver.split(".", 1)[1]
        return f"Readiness: {load_question_bank().labels().get(key, key.replace('_', ' '))}"
    return driver.replace("_", " ").capitalize()


def contributions_frame(recommendation: Recommendation) -> pd.DataFrame:
    """One row per (architecture, driver): points, direction and reason, architectures in ranked order."""
    rows = []
    for rank, score in enumerate(recommendation.ranked, start=1):
        for contribution in score.contributions:
            rows.append({
                "rank": rank,
                "architecture": score.architecture.label,
                "panel": f"{rank}. {score.architecture.label} ({score.score:.1f} points)",
                "driver": driver_label(contribution.driver),
                "points": contribution.points,
                "direction": TOWARD if contribution.points > 0 else AGAINST,
                "reason": contribution.reason,
            })
    columns = ["rank", "architecture", "panel", "driver", "points", "direction", "reason"]
    return pd.DataFrame(rows, columns=columns)


def contributions_chart(recommendation: Recommendation) -> alt.FacetChart:
    """Horizontal bars of each driver's points per architecture, green toward and red against."""
    frame = contributions_frame(recommendation)
    panels = list(dict.fromkeys(frame["panel"]))
    bars = alt.Chart(frame).mark_bar().encode(
        x=alt.X("points:Q", title="Points (toward + / against −)"),
        y=alt.Y("driver:N", title=None, sort=alt.EncodingSortField(field="points", op="sum", order="descending"),
                axis=alt.Axis(labelLimit=DRIVER_LABEL_LIMIT_PX)),
        color=alt.Color("direction:N", title="Pushes",
                        scale=alt.Scale(domain=[TOWARD, AGAINST], range=[TOWARD_COLOR, AGAINST_COLOR])),
        tooltip=[alt.Tooltip("architecture:N", title="Architecture"), alt.Tooltip("driver:N", title="Driver"),
                 alt.Tooltip("points:Q", title="Points", format="+.2f"), alt.Tooltip("reason:N", title="Why")],
    ).properties(width=FACET_WIDTH_PX, height=alt.Step(BAR_HEIGHT_PX))
    return bars.facet(
        row=alt.Row("panel:N", title=None, sort=panels, header=alt.Header(labelAngle=0, labelAlign="left",
                                                                          labelAnchor="start", labelFontSize=13,
                                                                          labelFontWeight="bold",
                                                                          labelOrient="top")),
    ).resolve_scale(y="independent")
