"""Export time of the PDF report (``planner.present.report.build_report``) for the default (blank) preset.

Prints one ``name=value`` line per figure:

- ``report_cold_s``: the first export in this process, which also reads the fonts and starts
  vl-convert's JavaScript engine (the evaluation is made before and not counted);
- ``report_warm_s``: the median of ``WARM_RUNS`` exports after it (the same results exported again: the
  charts come from the process's cache, so this is text layout and PDF output); target <= 1;
- ``report_warm_cpu_s``: the same exports' median CPU time (every thread of the process): close to
  ``report_warm_s`` on an idle machine, and the figure to read when other work shares the cores;
- ``report_new_charts_s``: the median of ``WARM_RUNS`` warm exports that render and decode their four
  charts anew (``forget_charts`` before each): the first export of new results in a running app;
- ``report_charts_s``: the seconds rendering the four charts to PNG takes (the same calls, uncached, timed
  on their own);
- ``report_cjk_warm_s``: a warm export whose project name and notes need the CJK fallback font and
  right-to-left shaping (the slowest text path);
- ``report_pages``, ``report_kb``: the size of the default report.

Run from the repository root: ``python bench/bench_report.py``.
"""

from __future__ import annotations

import io
import statistics
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pypdf

from planner.decide.results import Recommendation
from planner.decide.scoring import recommend
from planner.estimate.engine import evaluate
from planner.estimate.results import Evaluation
from planner.inputs.files import load_presets
from planner.inputs.models import Assessment
from planner.inputs.units import KIB
from planner.present.charts import chart_png, contributions_chart, cost_chart, latency_chart, resilience_chart
from planner.present.report import CHART_WIDTH_PX, build_report, forget_charts

WARM_RUNS = 3
TARGET_WARM_S = 1.0
REPORT_DATE = date(2026, 11, 29)
CJK_PROJECT = "東京 推論基盤 · 서울 팀"
RTL_NOTES = "مشروع الذكاء الاصطناعي — פרויקט בינה מלאכותית"


T = TypeVar("T")


def _timed(fn: Callable[..., T], *args: object, **kwargs: object) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def _new_charts_export(assessment: Assessment, evaluation: Evaluation, recommendation: Recommendation) -> float:
    forget_charts()
    return _timed(build_report, assessment, evaluation, recommendation, report_date=REPORT_DATE)[0]


def main() -> None:
    assessment = load_presets()["blank"]
    evaluation = evaluate(assessment)
    recommendation = recommend(assessment, evaluation)
    cold, pdf = _timed(build_report, assessment, evaluation, recommendation, report_date=REPORT_DATE)
    warm, warm_cpu = [], []
    for _ in range(WARM_RUNS):
        cpu_start = time.process_time()
        warm.append(_timed(build_report, assessment, evaluation, recommendation, report_date=REPORT_DATE)[0])
        warm_cpu.append(time.process_time() - cpu_start)
    new_charts = [_new_charts_export(assessment, evaluation, recommendation) for _ in range(WARM_RUNS)]

    charts = (lambda: chart_png(contributions_chart(recommendation)),
              lambda: chart_png(cost_chart(evaluation), width_px=CHART_WIDTH_PX),
              lambda: chart_png(latency_chart(evaluation, assessment.workload)),
              lambda: chart_png(resilience_chart(evaluation), width_px=CHART_WIDTH_PX))
    forget_charts()
    chart_seconds = sum(_timed(render)[0] for render in charts)

    named = assessment.model_copy(update={"project": CJK_PROJECT, "notes": RTL_NOTES})
    build_report(named, evaluation, recommendation, report_date=REPORT_DATE)  # loads the CJK font once
    cjk, _ = _timed(build_report, named, evaluation, recommendation, report_date=REPORT_DATE)

    warm_median = statistics.median(warm)
    print(f"report_cold_s={cold:.2f}")
    verdict = "met" if warm_median <= TARGET_WARM_S else "MISSED"
    print(f"report_warm_s={warm_median:.2f}  # target <= {TARGET_WARM_S:g}: {verdict}")
    print(f"report_warm_cpu_s={statistics.median(warm_cpu):.2f}")
    print(f"report_new_charts_s={statistics.median(new_charts):.2f}")
    print(f"report_charts_s={chart_seconds:.2f}")
    print(f"report_cjk_warm_s={cjk:.2f}")
    print(f"report_pages={len(pypdf.PdfReader(io.BytesIO(pdf)).pages)}")
    print(f"report_kb={len(pdf) / KIB:.0f}")


if __name__ == "__main__":
    main()
