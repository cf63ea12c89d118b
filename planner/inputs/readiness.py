"""Readiness gaps: the levels a team lacks for what an architecture needs.

Each architecture needs a level (0-4) in each readiness question (data/scoring.yaml,
``readiness.required``). A team below it has a gap; the estimate prices the missing levels as extra
operations effort (planner.estimate.costs) and the recommendation weighs them against the
architecture and plans how to close them (planner.decide). Both read the gaps here, so an estimate
does not depend on the recommendation.
"""

from __future__ import annotations

from planner.inputs.models import READINESS_KEYS, Architecture, Assessment
from planner.inputs.questions import load_question_bank
from planner.inputs.records import Record
from planner.inputs.weights import load_weights


class ReadinessGap(Record):
    """A readiness level below what an architecture needs, and what to do about it."""

    architecture: Architecture
    key: str
    label: str
    current: int
    required: int
    next_step: str


def required_levels(architecture: Architecture) -> dict[str, int]:
    """The readiness level an architecture needs in each question, by question key."""
    required = load_weights()["readiness"]["required"][architecture.value]
    return {key: int(required[key]) for key in READINESS_KEYS}


def readiness_gaps(architecture: Architecture, assessment: Assessment) -> list[ReadinessGap]:
    """The team's readiness gaps for an architecture, in question order."""
    bank = load_question_bank()
    gaps = []
    for key, needed in required_levels(architecture).items():
        current = getattr(assessment.team, key)
        if current < needed:
            question = bank.readiness_question(key)
            gaps.append(ReadinessGap(
                architecture=architecture, key=key, label=question.label, current=current, required=needed,
                next_step=f"{question.next_step} (level {needed}: {question.levels[needed]})"))
    return gaps


def readiness_shortfall(architecture: Architecture, assessment: Assessment) -> int:
    """Missing readiness levels, summed over the questions, for what an architecture needs."""
    return sum(g.required - g.current for g in readiness_gaps(architecture, assessment))
