"""Re-assessment over time: saving an evaluated assessment, re-evaluating it, revisit dates, comparisons.

* ``snapshots``: the one save path of an evaluated assessment (``save_evaluated``: results, price
  snapshot, revisit-by date, triggers; also a workshop's consensus) and the one rule for re-evaluating a
  saved one (``reevaluate``: the price snapshot and GPU specs saved with it, unless the caller asks for
  today's prices, which are its price list as it is today, or the built-in catalog when it names none).
* ``status``: revisit-by dates by stage, revisit triggers in force and those that fired (acknowledged or
  not), which projects are due.
* ``compare``: a project's timeline; answers, recommendation and estimates of two saved assessments.
* ``attribution``: a change split into prices, workload, team readiness and other (Shapley values).

Callers use the package: ``from planner import history; history.reevaluate(...)``.
"""

from planner.history.attribution import (
    FACTOR_LABELS,
    FACTORS,
    TEAM_FIELDS,
    WORKLOAD_FIELDS,
    ArchitectureAttribution,
    Attribution,
    Evaluator,
    FactorShare,
    attribute,
    mixture,
    shapley,
)
from planner.history.compare import (
    IGNORED_ANSWERS,
    AnswerChange,
    Comparison,
    EstimateDelta,
    TimelinePoint,
    answer_changes,
    compare,
    older_first,
    timeline,
)
from planner.history.snapshots import (
    PRICE_SOURCES,
    FromWorkshop,
    PriceSource,
    Pricing,
    Reevaluation,
    gpu_rows,
    price_rows,
    price_snapshot,
    reevaluate,
    results_document,
    run_evaluator,
    save_evaluated,
    saved_pricing,
    snapshot_gpus,
    snapshot_gpus_of,
    stored_evaluation,
    stored_recommendation,
    todays_pricing,
)
from planner.history.status import (
    REVISIT_FILE,
    FiredTrigger,
    ProjectStatus,
    RevisitDefault,
    default_revisit_by,
    fired_triggers,
    load_revisit_defaults,
    project_status,
    project_statuses,
    revisit_date,
    today_utc,
    triggers_in_force,
    value_at,
)

__all__ = [
    "FACTORS",
    "FACTOR_LABELS",
    "IGNORED_ANSWERS",
    "PRICE_SOURCES",
    "REVISIT_FILE",
    "TEAM_FIELDS",
    "WORKLOAD_FIELDS",
    "AnswerChange",
    "ArchitectureAttribution",
    "Attribution",
    "Comparison",
    "EstimateDelta",
    "Evaluator",
    "FactorShare",
    "FiredTrigger",
    "FromWorkshop",
    "PriceSource",
    "Pricing",
    "ProjectStatus",
    "Reevaluation",
    "RevisitDefault",
    "TimelinePoint",
    "answer_changes",
    "attribute",
    "compare",
    "default_revisit_by",
    "fired_triggers",
    "gpu_rows",
    "load_revisit_defaults",
    "mixture",
    "older_first",
    "price_rows",
    "price_snapshot",
    "project_status",
    "project_statuses",
    "reevaluate",
    "results_document",
    "revisit_date",
    "run_evaluator",
    "save_evaluated",
    "saved_pricing",
    "shapley",
    "snapshot_gpus",
    "snapshot_gpus_of",
    "stored_evaluation",
    "stored_recommendation",
    "timeline",
    "today_utc",
    "todays_pricing",
    "triggers_in_force",
    "value_at",
]
