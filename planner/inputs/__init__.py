"""Inputs: what an assessment is made of, before any estimate.

``models`` (the validated Assessment, workload, team and catalog records), ``questions`` (the question bank
with level descriptions), ``catalog`` (the shipped GPU, instance, model and assumption files), ``validation``
(the one door: answers -> Assessment or plain-words errors), ``files`` (assessment files: JSON/YAML, bounded
and safe), ``price_files`` (bring-your-own price lists), ``readiness`` (readiness gaps and shortfall),
``weights`` (data/scoring.yaml), ``levers`` (the serving-engine settings an assessment may set), ``text``
(user text rules), ``limits``, ``units`` and ``paths``.
"""

from planner.inputs.files import dump_assessment, load_presets, parse_assessment
from planner.inputs.models import Architecture, Assessment, TeamReadiness, WorkloadProfile
from planner.inputs.validation import validate_assessment

__all__ = [
    "Architecture",
    "Assessment",
    "TeamReadiness",
    "WorkloadProfile",
    "dump_assessment",
    "load_presets",
    "parse_assessment",
    "validate_assessment",
]
