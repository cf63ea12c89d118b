"""Deciding: which architecture to recommend, and how a workshop room agrees on its answers.

- ``scoring``: ``recommend``, the one entry point (ranked scores, gaps, flip points, roadmap);
- ``contributions``: ``score``, each architecture's base score plus named contributions with reasons;
- ``flips``: ``flip_points``, the nearest input values that would change the top architecture;
- ``roadmap``: ``roadmap_stages`` and ``revisit_triggers`` after a recommendation;
- ``consensus``: workshop join codes, tokens, answer aggregation and the consensus assessment.

Readiness gaps and the weights file are inputs (planner.inputs.readiness, planner.inputs.weights),
since the estimate reads them too.
"""

from planner.decide import consensus
from planner.decide.contributions import lead_time_text, score
from planner.decide.flips import flip_points
from planner.decide.roadmap import revisit_triggers, roadmap_stages
from planner.decide.scoring import confidence, recommend

__all__ = [
    "confidence",
    "consensus",
    "flip_points",
    "lead_time_text",
    "recommend",
    "revisit_triggers",
    "roadmap_stages",
    "score",
]
