"""GenAI Architecture Planner: the domain (no Streamlit here).

Subpackages follow the flow of an assessment (imports run one way, each only to the ones before it):
``inputs`` (answers, catalogs, validation, files) -> ``estimate`` (serving model, simulation, capacity, cost,
resilience; ``evaluate()``) -> ``decide`` (scores, readiness gaps, flip points, roadmap) -> ``store`` (database,
saved assessments, price lists, workshops) -> ``history`` (re-evaluation and comparison of saved assessments)
-> ``present`` (tables, formats, charts, PDF report) -> ``cli``.

``from planner import evaluate, recommend`` gives the two entry points without importing the rest up front.
"""

from typing import Any

__version__ = "0.1.0"
__all__ = ["__version__", "evaluate", "recommend"]


def __getattr__(name: str) -> Any:
    """The entry points, imported on first use so ``import planner`` stays light."""
    if name == "evaluate":
        from planner.estimate.engine import evaluate

        return evaluate
    if name == "recommend":
        from planner.decide.scoring import recommend

        return recommend
    raise AttributeError(f"module 'planner' has no attribute {name!r}")
