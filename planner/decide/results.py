"""What the recommendation returns: ranked scores with their named contributions, readiness gaps, flip points,
a roadmap and revisit triggers; plain records stored as JSON with each saved assessment.
"""

from __future__ import annotations

from pydantic import Field

from planner.inputs.models import Architecture, Sourcing
from planner.inputs.readiness import ReadinessGap
from planner.inputs.records import Record


class Contribution(Record):
    """One named push toward or away from an architecture, with the answer or number behind it."""

    driver: str
    points: float
    reason: str


class ArchitectureScore(Record):
    architecture: Architecture
    score: float
    contributions: tuple[Contribution, ...]


class FlipPoint(Record):
    """The value of one input at which the top recommendation would change."""

    key: str
    label: str
    current: float
    threshold: float
    new_top: Architecture
    text: str
    new_sourcing: Sourcing | None = Field(
        default=None, description="Set when the flip is of the inference sourcing (the break-even), not of the "
                                  "architecture: the sourcing that would become the cheaper.")


class RevisitTrigger(Record):
    """A condition on future answers that should send the team back to re-assess."""

    key: str = Field(description="Dotted input path, e.g. 'workload.peak_requests_per_s'.")
    op: str = Field(pattern=r"^(>=|<=)$")
    threshold: float
    text: str

    def fired(self, value: float) -> bool:
        """Whether a value of the input meets the condition."""
        return value >= self.threshold if self.op == ">=" else value <= self.threshold


class RoadmapStage(Record):
    title: str
    detail: str


class Recommendation(Record):
    """Ranked architectures with reasons, gaps, flip points and a staged roadmap."""

    ranked: tuple[ArchitectureScore, ...]
    margin: float = Field(description="Points between the first and the second architecture.")
    confidence: str = Field(pattern=r"^(high|medium|low)$")
    summary: str
    gaps: tuple[ReadinessGap, ...]
    flip_points: tuple[FlipPoint, ...]
    roadmap: tuple[RoadmapStage, ...]
    triggers: tuple[RevisitTrigger, ...]
    used_estimates: bool
    sourcing_text: str = Field(default="", description="The top architecture and how it sources inference, e.g. "
                               "'Hybrid, inference through Together AI Llama 3.3 70B'; empty before it existed.")
    sourcing_reasons: tuple[str, ...] = Field(default=(), description="Why that sourcing, one sentence each.")

    @property
    def top(self) -> Architecture:
        return self.ranked[0].architecture

    def score_of(self, architecture: Architecture) -> ArchitectureScore:
        """The score entry of one architecture."""
        return next(s for s in self.ranked if s.architecture is architecture)
