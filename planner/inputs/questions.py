"""The question bank (data/questions.yaml): what the Assess page asks, with help, bounds and defaults."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner.errors import CatalogError
from planner.inputs.paths import data_file

QUESTIONS_FILE = data_file("questions.yaml")
READINESS_LEVELS = 5  # levels 0..4


def in_sentence(text: str, proper_names: Iterable[str] = ()) -> str:
    """A description to embed in a sentence: its full stop dropped and its first letter lower-cased, unless
    the first word is a proper name (``proper_names``, e.g. Kubernetes) or an acronym (GPU, APIs, CI/CD,
    OpenAPI: a capital after the first letter), which keep their capitals. Nothing else changes case.
    """
    text = text.strip().rstrip(".")
    first = re.split(r"[\s,;:()]", text, maxsplit=1)[0]
    if not first or first in set(proper_names) or any(c.isupper() for c in first[1:]):
        return text
    return text[0].lower() + text[1:]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldQuestion(_Frozen):
    """A workload or team question answered with a number or a choice."""

    key: str
    label: str
    help: str
    kind: Literal["float", "int", "choice", "model", "gpu_list", "provider_list"]
    default: Any
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: tuple[str, ...] = ()


class Section(_Frozen):
    title: str
    help: str
    fields: tuple[FieldQuestion, ...]


class ReadinessQuestion(_Frozen):
    """A 0-4 readiness question; ``levels[i]`` describes level i in one line."""

    key: str
    label: str
    help: str
    default: int = Field(ge=0, le=READINESS_LEVELS - 1)
    levels: tuple[str, ...]
    next_step: str

    @model_validator(mode="after")
    def _five_levels(self) -> ReadinessQuestion:
        if len(self.levels) != READINESS_LEVELS:
            raise ValueError(f"needs exactly {READINESS_LEVELS} level descriptions, has {len(self.levels)}")
        return self

    def level_text(self, level: int) -> str:
        """A level with its description, as the pages show it: '2 · Service metrics and dashboards...'."""
        return f"{level} · {self.levels[level]}"


class PipelineBlock(_Frozen):
    help: str
    default: tuple[dict[str, Any], ...]


class QuestionBank(_Frozen):
    """Every question, in page order."""

    source: str
    as_of: str
    workload_sections: tuple[Section, ...]
    pipeline: PipelineBlock
    team_fields: tuple[FieldQuestion, ...]
    readiness: tuple[ReadinessQuestion, ...]
    proper_names: tuple[str, ...] = ()  # words that keep their capital inside a sentence (in_sentence)

    def in_sentence(self, text: str) -> str:
        """A description of this bank embedded in a sentence (``in_sentence`` with the bank's proper names)."""
        return in_sentence(text, self.proper_names)

    def readiness_question(self, key: str) -> ReadinessQuestion:
        """The readiness question with this key."""
        for q in self.readiness:
            if q.key == key:
                return q
        raise KeyError(key)

    def workload_defaults(self) -> dict[str, Any]:
        """Default answers of the workload questions, pipeline included."""
        values = {f.key: f.default for s in self.workload_sections for f in s.fields}
        values["pipeline"] = [dict(c) for c in self.pipeline.default]
        return values

    def team_defaults(self) -> dict[str, Any]:
        """Default answers of the team questions, readiness levels included."""
        values = {f.key: f.default for f in self.team_fields}
        values.update({q.key: q.default for q in self.readiness})
        return values

    def labels(self) -> dict[str, str]:
        """Human label of every question key (used to word errors and reasons)."""
        out = {f.key: f.label for s in self.workload_sections for f in s.fields}
        out.update({f.key: f.label for f in self.team_fields})
        out.update({q.key: q.label for q in self.readiness})
        return out


@cache
def load_question_bank(path: Path = QUESTIONS_FILE) -> QuestionBank:
    """Read and validate data/questions.yaml; a malformed file raises CatalogError naming the field."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return QuestionBank.model_validate(raw)
    except (OSError, yaml.YAMLError) as exc:
        raise CatalogError(f"data/{path.name}: cannot read: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CatalogError(f"data/{path.name}, field {where}: {first['msg']}") from exc
