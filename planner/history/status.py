"""When to re-assess: revisit-by dates by stage, revisit triggers that fired, and each project's status.

* ``default_revisit_by``: the date to re-assess by, from the team's stage (data/revisit.yaml).
* ``project_statuses``: for the Home page, which projects are due (revisit date passed) and which
  have triggers that fired. A trigger is stored with the assessment whose roadmap set it. On each input
  and in each direction (``>=``, ``<=``) the triggers in force are those of the newest assessment that
  set one there: re-assessing answers a trigger by setting it anew from the new values (after #1 at 6
  requests/s set "peak >= 8" and #2 was assessed at 12, #2's "peak >= 16" is in force, not #1's). A
  trigger in force fires when the project's latest assessment's value of its input meets it. A person
  may acknowledge a fired trigger with a note (``store.acknowledge_trigger``); it is then shown as
  acknowledged, not as an alarm, while the latest value stays the one acknowledged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import Engine

from planner import store
from planner.decide.results import RevisitTrigger
from planner.errors import CatalogError
from planner.inputs.models import Assessment, Sourced, Stage
from planner.inputs.paths import data_dir
from planner.store import ProjectSummary, StoredAssessment, TriggerAcknowledgement

REVISIT_FILE = "revisit.yaml"


class RevisitDefault(Sourced):
    """The default revisit interval of one stage (a row of data/revisit.yaml)."""

    stage: Stage
    days: int = Field(ge=1, le=730)


@cache
def load_revisit_defaults(path: Path | None = None) -> dict[Stage, RevisitDefault]:
    """The revisit interval of every stage; a missing stage or a bad row is a CatalogError."""
    source = path or data_dir() / REVISIT_FILE
    try:
        rows = yaml.safe_load(source.read_text(encoding="utf-8"))
        defaults = {d.stage: d for d in (RevisitDefault.model_validate(r) for r in rows)}
    except (OSError, yaml.YAMLError, ValidationError, TypeError) as exc:
        raise CatalogError(f"data/{REVISIT_FILE} is not valid: {exc}") from exc
    missing = [s.value for s in Stage if s not in defaults]
    if missing:
        raise CatalogError(f"data/{REVISIT_FILE} has no revisit interval for: {', '.join(missing)}")
    return defaults


def default_revisit_by(assessment: Assessment, today: date) -> date:
    """Today plus the stage's default interval (e.g. 90 days for a growth-stage team)."""
    return today + timedelta(days=load_revisit_defaults()[assessment.team.stage].days)


def today_utc() -> date:
    """Today's date in UTC (revisit dates are calendar dates in UTC)."""
    return datetime.now(UTC).date()


def revisit_date(stored: StoredAssessment) -> date:
    """The saved revisit-by date, or for assessments saved before there was one, the stage default."""
    return stored.revisit_by or default_revisit_by(stored.assessment, stored.created_at.date())


class FiredTrigger(BaseModel):
    """A revisit trigger and the value of its input that meets it."""

    model_config = ConfigDict(frozen=True)

    trigger: RevisitTrigger
    value: float
    set_by: int = Field(description="Id of the assessment whose roadmap set the trigger.")
    acknowledgement: TriggerAcknowledgement | None = Field(
        default=None, description="The newest acknowledgement of this trigger at this value, if any.")

    @property
    def description(self) -> str:
        """The trigger's text without the value it had when set, then the value now."""
        return f"{re.sub(r' [(]now [^)]*[)]', '', self.trigger.text)}; now {self.value:g} (set by #{self.set_by})"


class ProjectStatus(BaseModel):
    """A project on the Home page: its latest assessment, revisit date and fired triggers."""

    model_config = ConfigDict(frozen=True)

    project: ProjectSummary
    latest: StoredAssessment | None
    revisit_by: date | None
    due: bool
    fired: tuple[FiredTrigger, ...]

    @property
    def alarms(self) -> tuple[FiredTrigger, ...]:
        """The fired triggers nobody acknowledged at their current value."""
        return tuple(f for f in self.fired if f.acknowledgement is None)

    @property
    def acknowledged(self) -> tuple[FiredTrigger, ...]:
        """The fired triggers acknowledged at their current value."""
        return tuple(f for f in self.fired if f.acknowledgement is not None)


def value_at(assessment: Assessment, key: str) -> float:
    """The number at a dotted input path such as ``workload.peak_requests_per_s``; KeyError if none."""
    node: Any = assessment
    for part in key.split("."):
        if not hasattr(node, part):
            raise KeyError(key)
        node = getattr(node, part)
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise KeyError(key)
    return float(node)


def fired_triggers(triggers: Sequence[RevisitTrigger], assessment: Assessment, *, set_by: int) -> list[FiredTrigger]:
    """The triggers that the assessment's inputs meet (triggers on unknown inputs are ignored)."""
    out = []
    for trigger in triggers:
        try:
            value = value_at(assessment, trigger.key)
        except KeyError:
            continue
        if trigger.fired(value):
            out.append(FiredTrigger(trigger=trigger, value=value, set_by=set_by))
    return out


def triggers_in_force(
    set_by: Sequence[tuple[int, Sequence[RevisitTrigger]]],
) -> list[tuple[RevisitTrigger, int]]:
    """The triggers in force after a project's assessments, given as (id, triggers) oldest first; each with its id.

    On each input and direction, the triggers of the newest assessment that set one there.
    """
    newest: dict[tuple[str, str], int] = {}
    for assessment_id, triggers in set_by:
        newest.update({(t.key, t.op): assessment_id for t in triggers})
    return [(t, assessment_id) for assessment_id, triggers in set_by for t in triggers
            if newest[(t.key, t.op)] == assessment_id]


def project_status(engine: Engine, project: ProjectSummary, today: date) -> ProjectStatus:
    """Whether one project is due for a re-assessment, and which triggers in force its latest inputs meet."""
    latest = store.latest_assessment(engine, project=project.name)
    if latest is None:
        return ProjectStatus(project=project, latest=None, revisit_by=None, due=False, fired=())
    revisit_by = revisit_date(latest)
    fired = [f for trigger, set_by in triggers_in_force(store.project_triggers(engine, project=project.name))
             for f in fired_triggers([trigger], latest.assessment, set_by=set_by)]
    if fired:
        known = store.acknowledgements(engine, assessment_ids={f.set_by for f in fired})
        fired = [f.model_copy(update={"acknowledgement": next(
            (a for a in known if a.covers(f.trigger, f.value, f.set_by)), None)}) for f in fired]
    return ProjectStatus(project=project, latest=latest, revisit_by=revisit_by, due=revisit_by <= today,
                         fired=tuple(fired))


def project_statuses(engine: Engine, today: date) -> list[ProjectStatus]:
    """The status of every project that is not archived, by name."""
    return [project_status(engine, p, today) for p in store.list_projects(engine) if not p.archived]
