"""Workshops (DESIGN.md section 7): join codes, secret tokens, and how a room's answers become a consensus.

A facilitator runs a workshop for a project. Participants join with a short **join code** (10 characters
of Crockford base32, 50 bits, shown as ``XXXXX-XXXXX``) and answer the six readiness questions, plus
optional workload estimates. The facilitator's private link carries a **token** of 256 bits; participants
get their own secret (same size) so that they can revise only their own answers. Only SHA-256 hashes of
tokens and secrets are stored, so reading the database does not grant access.

Aggregation is per question: the distribution of answers, the median and the spread (max - min). A
readiness question whose answers are at least two levels apart is flagged as a discussion prompt. There
is one median rule per kind of answer (``MEDIAN_RULE``, ``median_of``), used by every table, chart and
the consensus: for readiness levels the lower middle answer when the count is even (a level someone
actually chose; a team is only as ready as the evidence shows), for estimates the true median (3 and 10
give 6.5). The consensus is that median unless the facilitator overrides a question with a note. Nothing here touches a
database or Streamlit; ``planner.store.workshops`` keeps the rows.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import statistics
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from planner.errors import InputError
from planner.inputs.limits import NOTES_MAX_CHARS, OVERRIDE_NOTE_MAX_CHARS, PARTICIPANT_NAME_MAX_CHARS
from planner.inputs.models import READINESS_KEYS, Assessment
from planner.inputs.questions import READINESS_LEVELS, FieldQuestion, load_question_bank
from planner.inputs.text import control_characters
from planner.inputs.units import PERCENT
from planner.inputs.validation import validate_assessment

CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U; 5 bits per character
CODE_CHARS = 10  # 50 bits: guessing one live code takes ~10^15 tries
CODE_GROUP = 5  # shown as two groups of five, XXXXX-XXXXX
TOKEN_BYTES = 32  # facilitator tokens and participant secrets: 256 bits from secrets.token_urlsafe
TOKEN_MIN_CHARS, TOKEN_MAX_CHARS = 40, 100  # a URL-safe token of 32 bytes has 43 characters
DISAGREEMENT_SPREAD_LEVELS = 2  # readiness answers this many levels apart are a discussion prompt
DISAGREEMENT_RATIO = 2.0  # estimates a factor of two apart (availability: in allowed downtime) are too
NAME_MAX_CHARS = PARTICIPANT_NAME_MAX_CHARS  # ui/workshop_join.py still reads it here; defined in inputs.limits

# Workload figures participants may estimate when the facilitator turns it on: the numbers a room can
# argue about. Model, pipeline, hardware and pricing come from the project's assessment or a preset.
WORKLOAD_ESTIMATE_KEYS = (
    "mean_requests_per_s",
    "peak_requests_per_s",
    "mean_input_tokens",
    "mean_output_tokens",
    "p95_ttft_ms",
    "p95_e2e_ms",
    "availability_target_pct",
    "model_updates_per_month",
    "teams_contributing",
)
# Within one participant's estimates, the first must not exceed the second (as in WorkloadProfile).
ORDERED_ESTIMATES = (("mean_requests_per_s", "peak_requests_per_s"), ("p95_ttft_ms", "p95_e2e_ms"))

MEDIAN_RULE = ("Median: for readiness levels the lower middle answer when the count is even (1 and 3 give 1, a "
               "level someone chose); for workload estimates the true median (3 and 10 give 6.5).")

_CODE_READS_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})  # Crockford's decoding of look-alikes
_CODE_SEPARATORS = re.compile(r"[\s\-_.]")


# Codes and tokens ---------------------------------------------------------------------------------


def new_join_code() -> str:
    """A fresh join code, normalised (10 characters of CODE_ALPHABET, no separator)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_CHARS))


def format_join_code(code: str) -> str:
    """A normalised code as people read it: ``ABCDE-FGHJK``."""
    return f"{code[:CODE_GROUP]}-{code[CODE_GROUP:]}"


def normalize_join_code(text: str) -> str:
    """A typed code in its stored form: upper case, separators dropped, O read as 0 and I/L as 1.

    Raises InputError (field ``code``) when the result is not 10 characters of the code alphabet.
    """
    cleaned = _CODE_SEPARATORS.sub("", str(text)).upper().translate(_CODE_READS_AS)
    if not cleaned:
        raise InputError("Enter the join code.", {"code": "Enter the join code your facilitator shared."})
    bad = sorted({c for c in cleaned if c not in CODE_ALPHABET})
    if bad or len(cleaned) != CODE_CHARS:
        sentence = (f"A join code has {CODE_CHARS} letters and digits, like ABCDE-12345"
                    + (f"; '{''.join(bad)}' cannot appear in one." if bad else f"; you entered {len(cleaned)}."))
        raise InputError(sentence, {"code": sentence})
    return cleaned


def code_bits(chars: int = CODE_CHARS, alphabet: str = CODE_ALPHABET) -> float:
    """Entropy of a uniformly drawn code, in bits."""
    return chars * math.log2(len(alphabet))


def new_token() -> str:
    """A fresh facilitator token or participant secret (TOKEN_BYTES random bytes, URL-safe base64)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in place of a token; InputError for text that cannot be a token."""
    if not isinstance(token, str) or not TOKEN_MIN_CHARS <= len(token) <= TOKEN_MAX_CHARS:
        raise InputError("This link is not a valid workshop link.", {"token": "The secret in the link is malformed."})
    return hashlib.sha256(token.encode("ascii", errors="replace")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    """Whether a token hashes to a stored hash (constant-time comparison)."""
    try:
        return hmac.compare_digest(hash_token(token), stored_hash)
    except InputError:
        return False


# Answers ------------------------------------------------------------------------------------------


def estimate_questions() -> dict[str, FieldQuestion]:
    """The workload questions participants may estimate, by key, in WORKLOAD_ESTIMATE_KEYS order."""
    by_key = {f.key: f for s in load_question_bank().workload_sections for f in s.fields}
    return {k: by_key[k] for k in WORKLOAD_ESTIMATE_KEYS}


def question_label(key: str) -> str:
    """The question's label from the question bank."""
    return load_question_bank().labels().get(key, key)


def validate_answers(answers: Mapping[str, Any], *, workload_enabled: bool) -> dict[str, float]:
    """One participant's answers checked: readiness levels 0-4, estimates within the question bounds.

    Unknown keys, workload estimates while they are off, and out-of-range values raise InputError with
    one sentence per field. Returns the answers as floats (levels are whole numbers).
    """
    errors: dict[str, str] = {}
    checked: dict[str, float] = {}
    estimates = estimate_questions()
    for key, value in answers.items():
        if key in READINESS_KEYS:
            if not _is_number(value) or value != int(value) or not 0 <= value < READINESS_LEVELS:
                errors[key] = f"{question_label(key)}: pick a level from 0 to {READINESS_LEVELS - 1}."
                continue
        elif key in estimates:
            if not workload_enabled:
                errors[key] = f"{question_label(key)}: the facilitator has not asked for workload estimates."
                continue
            sentence = _estimate_error(estimates[key], value)
            if sentence:
                errors[key] = sentence
                continue
        else:
            errors[key] = f"'{key}' is not a workshop question."
            continue
        checked[key] = float(value)
    for low, high in ORDERED_ESTIMATES:
        if low in checked and high in checked and checked[high] < checked[low]:
            errors[high] = f"{question_label(high)} must be at least {question_label(low)} ({checked[low]:g})."
    if errors:
        raise InputError(f"{len(errors)} answer(s) need fixing: " + " ".join(errors.values()), errors)
    return checked


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _estimate_error(q: FieldQuestion, value: Any) -> str | None:
    if not _is_number(value):
        return f"{q.label} must be a number."
    if q.kind == "int" and value != int(value):
        return f"{q.label} must be a whole number; you entered {value:g}."
    if (q.min is not None and value < q.min) or (q.max is not None and value > q.max):
        return f"{q.label} must be between {q.min:g} and {q.max:g}; you entered {value:g}."
    return None


# Aggregation --------------------------------------------------------------------------------------


def level_median(values: Iterable[float]) -> float:
    """The median of readiness levels: the lower middle answer when the count is even (1 and 3 give 1)."""
    return float(statistics.median_low(sorted(values)))


def number_median(values: Iterable[float]) -> float:
    """The median of estimates: the mean of the two middle answers when the count is even (3 and 10 give 6.5)."""
    return float(statistics.median(sorted(values)))


def median_of(key: str, values: Iterable[float]) -> float | None:
    """The median under the rule of the question's kind (MEDIAN_RULE); None when nobody answered."""
    ordered = list(values)
    if not ordered:
        return None
    return level_median(ordered) if key in READINESS_KEYS else number_median(ordered)


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class QuestionAggregate(_Frozen):
    """Every participant's answer to one question, summarised."""

    key: str
    label: str
    kind: Literal["readiness", "estimate"]
    values: tuple[float, ...]  # sorted
    counts: tuple[int, ...]  # readiness: answers per level 0..4; estimates: empty
    median: float | None  # under MEDIAN_RULE: the lower middle level for readiness, the true median for estimates
    spread: float | None  # max - min
    disagreement: bool

    @property
    def answered(self) -> int:
        """How many participants answered."""
        return len(self.values)

    @property
    def median_answer(self) -> float | None:
        """The default consensus: the median under MEDIAN_RULE (the same number every table shows)."""
        return self.median


def aggregate(key: str, values: Iterable[float]) -> QuestionAggregate:
    """Distribution, median, spread and disagreement flag of the answers to one question."""
    ordered = tuple(sorted(float(v) for v in values))
    kind: Literal["readiness", "estimate"] = "readiness" if key in READINESS_KEYS else "estimate"
    counts = tuple(ordered.count(float(level)) for level in range(READINESS_LEVELS)) if kind == "readiness" else ()
    if not ordered:
        return QuestionAggregate(key=key, label=question_label(key), kind=kind, values=(), counts=counts,
                                 median=None, spread=None, disagreement=False)
    low, high = ordered[0], ordered[-1]
    return QuestionAggregate(key=key, label=question_label(key), kind=kind, values=ordered, counts=counts,
                             median=median_of(key, ordered), spread=high - low,
                             disagreement=_disagree(key, low, high))


def _disagree(key: str, low: float, high: float) -> bool:
    if key in READINESS_KEYS:
        return high - low >= DISAGREEMENT_SPREAD_LEVELS
    if key == "availability_target_pct":  # 99.9 vs 99.5 % is a factor of 5 in allowed downtime
        low, high = PERCENT - high, PERCENT - low
    if low <= 0:
        return high > 0
    return high / low >= DISAGREEMENT_RATIO


def aggregate_answers(answer_sets: Iterable[Mapping[str, float]], *, workload_enabled: bool) -> list[QuestionAggregate]:
    """One aggregate per question in page order (readiness, then estimates when enabled)."""
    sets = list(answer_sets)
    keys = list(READINESS_KEYS) + (list(WORKLOAD_ESTIMATE_KEYS) if workload_enabled else [])
    return [aggregate(k, (s[k] for s in sets if k in s)) for k in keys]


# Consensus ----------------------------------------------------------------------------------------


class Override(_Frozen):
    """A facilitator's answer for one question in place of the median, with the reason."""

    key: str
    value: float
    note: str


class ConsensusItem(_Frozen):
    """The agreed answer to one question and where it came from."""

    key: str
    label: str
    value: float | None  # None: nobody answered and there is no override
    median: float | None
    source: Literal["median", "override", "unanswered"]
    note: str = ""
    disagreement: bool = False


def validate_override(key: str, value: float, note: str, *, workload_enabled: bool) -> Override:
    """A facilitator override checked like an answer; the note is required (why the room chose it)."""
    errors: dict[str, str] = {}
    try:
        checked = validate_answers({key: value}, workload_enabled=workload_enabled)
    except InputError as exc:
        errors["value"] = " ".join(exc.field_errors.values()) or str(exc)
        checked = {}
    note = (note or "").strip() if isinstance(note, str) else ""
    found = control_characters(note, multiline=True)
    if not note:
        errors["note"] = "Say in a few words why the room chose this answer."
    elif len(note) > OVERRIDE_NOTE_MAX_CHARS:
        errors["note"] = f"Keep the note within {OVERRIDE_NOTE_MAX_CHARS} characters; it has {len(note)}."
    elif found:  # the rule of every note a user types (planner.inputs.text)
        errors["note"] = f"The note must not contain control characters (found {', '.join(found)})."
    if errors:
        raise InputError(" ".join(errors.values()), errors)
    return Override(key=key, value=checked[key], note=note)


def consensus(aggregates: Iterable[QuestionAggregate], overrides: Iterable[Override]) -> list[ConsensusItem]:
    """The consensus per question: the facilitator's override if any, else the median answer."""
    by_key = {o.key: o for o in overrides}
    items = []
    for agg in aggregates:
        override = by_key.get(agg.key)
        if override is not None:
            items.append(ConsensusItem(key=agg.key, label=agg.label, value=override.value, median=agg.median_answer,
                                       source="override", note=override.note, disagreement=agg.disagreement))
        else:
            items.append(ConsensusItem(key=agg.key, label=agg.label, value=agg.median_answer,
                                       median=agg.median_answer,
                                       source="median" if agg.values else "unanswered",
                                       disagreement=agg.disagreement))
    return items


def consensus_assessment(base: Assessment, items: Iterable[ConsensusItem], *, label: str, notes: str) -> Assessment:
    """The base assessment with the consensus answers in place; unanswered questions keep the base's answer.

    Estimates of whole-number questions are rounded. The result passes ``validate_assessment``, so an
    inconsistent consensus (say an overridden peak below the mean) raises InputError naming the field.
    """
    data = base.model_dump(mode="json")
    integer_keys = {k for k, q in estimate_questions().items() if q.kind == "int"}
    for item in items:
        if item.value is None:
            continue
        if item.key in READINESS_KEYS:
            data["team"][item.key] = int(item.value)
        else:
            data["workload"][item.key] = round(item.value) if item.key in integer_keys else item.value
    data["label"], data["notes"] = label, notes
    return validate_assessment(data)


def level_text(key: str, level: float | None) -> str:
    """A readiness level with its description ('2 · Service metrics and dashboards...'); estimates as numbers."""
    if level is None:
        return "no answer"
    if key in READINESS_KEYS:
        return load_question_bank().readiness_question(key).level_text(int(level))
    return f"{level:g}"


def consensus_notes(*, join_code: str, participants: int, items: Iterable[ConsensusItem]) -> str:
    """The notes kept with a workshop's assessment: where it came from and every overridden answer."""
    lines = [f"Consensus of workshop {format_join_code(join_code)} with {participants} participant(s); "
             "the median answer unless the facilitator overrode it."]
    for item in items:
        if item.source == "override":
            median = "no answers" if item.median is None else f"median {item.median:g}"
            lines.append(f"- {item.label}: {item.value:g} ({median}). {item.note}")
        elif item.source == "unanswered":
            lines.append(f"- {item.label}: nobody answered; kept the starting answer.")
    text = "\n".join(lines)
    return text if len(text) <= NOTES_MAX_CHARS else text[: NOTES_MAX_CHARS - 1] + "…"
