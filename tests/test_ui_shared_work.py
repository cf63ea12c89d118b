"""Work the server shares between sessions showing the same numbers: chart specs kept per content (ui/charts.py),
the same spec ``st.altair_chart`` would send, built once for every session that shows the same inputs and again
when an input changes; and the recommendation, scored once for sessions that differ only in project, label or
notes."""

from __future__ import annotations

import importlib
import json
from typing import Any

import altair as alt
import pytest
from streamlit.testing.v1 import AppTest

from planner.decide.results import Recommendation
from planner.decide.scoring import recommend
from planner.estimate.engine import evaluate
from planner.estimate.results import Evaluation
from planner.inputs.models import Assessment, WorkloadProfile
from planner.present.charts import latency_chart
from tests.presets import self_hosted

BUILT: list[float] = []  # one entry per call of counted_latency_chart (read through ``_built``)
CHART_TIMEOUT_S = 60


def counted_latency_chart(evaluation: Evaluation, workload: WorkloadProfile) -> alt.TopLevelMixin:
    """``latency_chart``, noting the p95 TTFT target each time it is built."""
    BUILT.append(workload.p95_ttft_ms)
    return latency_chart(evaluation, workload)


def _built() -> list[float]:
    """BUILT of the module the pages import (pytest may have imported this file under another name)."""
    built: list[float] = importlib.import_module("tests.test_ui_shared_work").BUILT
    return built


def _page(evaluation_json: str, workload_json: str, *, cached: bool) -> None:
    import streamlit as st

    from planner.estimate.results import Evaluation
    from planner.inputs.models import WorkloadProfile
    from tests.test_ui_shared_work import counted_latency_chart
    from ui import charts

    evaluation = Evaluation.model_validate_json(evaluation_json)
    workload = WorkloadProfile.model_validate_json(workload_json)
    if cached:
        charts.show(counted_latency_chart, evaluation, workload)
    else:
        st.altair_chart(counted_latency_chart(evaluation, workload), width="stretch")


def _spec_shown(evaluation: Evaluation, workload: WorkloadProfile, *, cached: bool) -> tuple[dict[str, Any], bytes]:
    """The spec and the first dataset a session receives."""
    at = AppTest.from_function(_page, args=(evaluation.model_dump_json(), workload.model_dump_json()),
                               kwargs={"cached": cached}, default_timeout=CHART_TIMEOUT_S).run()
    assert not at.exception, at.exception
    (chart,) = at.get("vega_lite_chart")
    return json.loads(chart.proto.spec), chart.proto.datasets[0].data.data


def test_sessions_showing_the_same_inputs_share_one_spec_equal_to_altair_chart() -> None:
    assessment = self_hosted("blank")
    evaluation = evaluate(assessment)
    workload = assessment.workload.model_copy(update={"p95_ttft_ms": 1234.0})  # a target no other test draws
    _built().clear()
    direct = _spec_shown(evaluation, workload, cached=False)
    first = _spec_shown(evaluation, workload, cached=True)
    second = _spec_shown(evaluation, workload, cached=True)
    assert first == direct  # what st.altair_chart sends: the same spec, the same Arrow data
    assert second == first
    assert _built() == [1234.0, 1234.0]  # once for st.altair_chart, once for both cached sessions

    moved = workload.model_copy(update={"p95_ttft_ms": 1235.0})
    _, data = _spec_shown(evaluation, moved, cached=True)
    assert _built() == [1234.0, 1234.0, 1235.0]  # a changed input builds its own spec
    assert data != first[1]  # with the moved target in its data


def test_sessions_that_differ_only_in_descriptive_text_share_a_recommendation(monkeypatch: pytest.MonkeyPatch) -> None:
    from ui import results_view

    scored: list[str] = []

    def counted(assessment: Assessment, evaluation: Evaluation | None = None) -> Recommendation:
        scored.append(assessment.label)
        return recommend(assessment, evaluation)

    monkeypatch.setattr(results_view, "recommend", counted)
    results_view._recommend.clear()
    base = self_hosted("content_startup")
    first = results_view.recommendation_for(base.model_copy(update={"label": "Session 1", "notes": "a"}))
    second = results_view.recommendation_for(base.model_copy(update={"label": "Session 2", "project": "Other"}))
    assert second == first and len(scored) == 1
    moved = base.model_copy(update={"workload": base.workload.model_copy(update={"p95_ttft_ms": 9_999.0})})
    results_view.recommendation_for(moved)
    assert len(scored) == 2  # an answer scoring reads is a new recommendation
