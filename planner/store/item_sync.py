"""Which improvement items a new assessment opens, closes and reopens: the one rule, pure, on plain data.

A saved assessment's recommendation names what stands between the team and its architecture: the readiness
gaps of the recommended architecture and of the one its roadmap prepares for
(``planner.decide.roadmap.next_architecture``), and the roadmap's stages. Each becomes an item of the project
under a key that stays the same across re-assessments: ``gap:<architecture>:<readiness key>`` and
``step:<architecture>:<n>`` (the n-th stage, from 1).

``sources_of`` reads them from a recommendation as stored (``Recommendation.model_dump(mode="json")``, the
``recommendation`` of an assessment's results JSON), so the save hook (``planner.store.items.sync_items``) and
migration 0010, which replays the assessments saved before it, read them alike. ``plan_sync`` says what one
new assessment does to the project's items, given each item's status and whether the assessment before named it:

* a gap or step without an item opens one;
* an open or in-progress item that this assessment no longer names is done (its gap closed, or its step left
  the roadmap);
* a done item named again after an assessment that did not name it (its gap came back) is reopened; one a
  person marked done while the assessments still name it stays done until then;
* "won't do" is a person's decision and stays, whatever the assessment says.

Owners and due dates are a person's too: nothing here reads or sets them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from planner.decide.roadmap import next_architecture
from planner.inputs.models import Architecture

ITEM_KEY_MAX_CHARS = 80  # "gap:<architecture>:<readiness key>" and "step:<architecture>:<n>"
ItemKind = Literal["gap", "step"]
KIND_LABELS: dict[ItemKind, str] = {"gap": "Readiness gap", "step": "Roadmap step"}


class ItemStatus(StrEnum):
    """Where an improvement item stands."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WONT_DO = "wont_do"

    @property
    def label(self) -> str:
        """The status in words, as issue trackers name it."""
        return {"open": "Open", "in_progress": "In progress", "done": "Done", "wont_do": "Won't do"}[self.value]


ACTIVE = frozenset({ItemStatus.OPEN, ItemStatus.IN_PROGRESS})  # what a closed gap marks done


def parse_status(text: str) -> ItemStatus:
    """A status from its value or its words (``in_progress``, ``In progress``, ``won't do``, ``wont-do``);
    ValueError naming the four otherwise."""
    cleaned = "_".join(str(text).strip().lower().replace("'", "").replace("’", "").replace("-", " ").split())
    try:
        return ItemStatus(cleaned)
    except ValueError:
        choices = ", ".join(s.label.lower() for s in ItemStatus)
        raise ValueError(f"The status “{text}” is not one of {choices}.") from None


@dataclass(frozen=True)
class ItemSource:
    """A readiness gap or roadmap step of one assessment, as an item shows it."""

    key: str
    kind: ItemKind
    architecture: Architecture
    title: str
    detail: str
    size: int  # a gap: the readiness levels missing; a step: its number in the roadmap (1 first)


@dataclass(frozen=True)
class ItemState:
    """What the sync needs to know of an item: its status and whether the latest assessment named it."""

    status: ItemStatus
    named: bool


@dataclass(frozen=True)
class ItemChange:
    """What one assessment does to one item (``plan_sync``)."""

    key: str
    source: ItemSource | None  # what this assessment says of the item; None: it no longer names it
    before: ItemStatus | None  # None: a new item
    status: ItemStatus

    @property
    def changed(self) -> bool:
        """Whether the assessment set a new status (an event to record)."""
        return self.before is not self.status


def _gap(gap: Mapping[str, Any]) -> ItemSource:
    architecture = Architecture(gap["architecture"])
    label, current, required = str(gap["label"]), int(gap["current"]), int(gap["required"])
    return ItemSource(
        key=f"gap:{architecture.value}:{gap['key']}", kind="gap", architecture=architecture,
        title=f"{label}: reach level {required} ({architecture.label.lower()})",
        detail=f"At level {current} of 4; {architecture.label.lower()} needs level {required}. {gap['next_step']}",
        size=required - current)


def _step(top: Architecture, number: int, stage: Mapping[str, Any]) -> ItemSource:
    return ItemSource(key=f"step:{top.value}:{number}", kind="step", architecture=top, title=str(stage["title"]),
                      detail=str(stage["detail"]), size=number)


def sources_of(recommendation: object) -> list[ItemSource] | None:
    """The gaps and steps a stored recommendation names, gaps first; None when it cannot be read as one."""
    if not isinstance(recommendation, Mapping):
        return None
    try:
        top = Architecture(recommendation["ranked"][0]["architecture"])
        wanted = {top, next_architecture(top)}
        gaps = [_gap(g) for g in recommendation["gaps"] if Architecture(g["architecture"]) in wanted]
        steps = [_step(top, n, s) for n, s in enumerate(recommendation["roadmap"], start=1)]
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    found: dict[str, ItemSource] = {}
    for source in (*gaps, *steps):
        if len(source.key) > ITEM_KEY_MAX_CHARS:
            return None
        found.setdefault(source.key, source)
    return list(found.values())


def plan_sync(previous: Mapping[str, ItemState], sources: Sequence[ItemSource]) -> list[ItemChange]:
    """What a new assessment naming ``sources`` does to a project's items (``previous``, by key): the module's rule.

    One change per item the assessment names or the one before named, the named ones first, in their order.
    """
    named = {s.key: s for s in sources}
    changes = []
    for key, source in named.items():
        state = previous.get(key)
        if state is None:
            changes.append(ItemChange(key, source, None, ItemStatus.OPEN))
            continue
        came_back = state.status is ItemStatus.DONE and not state.named
        changes.append(ItemChange(key, source, state.status, ItemStatus.OPEN if came_back else state.status))
    for key in sorted(previous):
        state = previous[key]
        if key in named or not state.named:
            continue
        changes.append(ItemChange(key, None, state.status, ItemStatus.DONE if state.status in ACTIVE else state.status))
    return changes
