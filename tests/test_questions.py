"""The question bank's wording: descriptions quoted inside a sentence keep proper names' capitals."""

import re

import pytest

from planner.decide.scoring import recommend
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment
from planner.inputs.questions import in_sentence, load_question_bank


@pytest.mark.parametrize(("text", "expected"), [
    ("Everything runs in containers; a few people know Kubernetes basics.",
     "everything runs in containers; a few people know Kubernetes basics"),
    ("Documented APIs (OpenAPI or protobuf) reviewed before changes.",
     "documented APIs (OpenAPI or protobuf) reviewed before changes"),
    ("Kubernetes is a self-service platform; teams ship new services without help.",
     "Kubernetes is a self-service platform; teams ship new services without help"),
    ("GPU node pools.", "GPU node pools"),
    ("CI/CD runs on every merge.", "CI/CD runs on every merge"),
    ("APIs are versioned.", "APIs are versioned"),
    ("TLS on internal calls.", "TLS on internal calls"),
    ("mTLS enforced by a mesh.", "mTLS enforced by a mesh"),
    ("OpenTelemetry traces.", "OpenTelemetry traces"),
    ("A 24/7 rota with runbooks.", "a 24/7 rota with runbooks"),
    ("Tracing, metrics and logs correlated.", "tracing, metrics and logs correlated"),
])
def test_in_sentence_lowers_only_a_common_first_letter(text: str, expected: str) -> None:
    assert in_sentence(text, ["Kubernetes"]) == expected


def test_every_description_keeps_its_words_but_the_first_letter() -> None:
    bank = load_question_bank()
    for q in bank.readiness:
        for text in q.levels:
            quoted = bank.in_sentence(text)
            assert quoted == text.rstrip(".") or quoted == text[0].lower() + text[1:].rstrip(".")
            assert quoted[1:] == text.rstrip(".")[1:]  # never a capital lost past the first letter


def test_every_capitalised_name_in_the_descriptions_is_a_proper_name_or_an_acronym() -> None:
    # A capitalised word inside a sentence is a name; at the start of a description it must keep its capital.
    bank = load_question_bank()
    texts = [t for q in bank.readiness for t in (*q.levels, q.next_step)]
    names = {w for t in texts for w in re.findall(r"(?<=[^.] )[A-Z][\w/-]*", t)}
    assert "Kubernetes" in names
    for name in names:
        assert bank.in_sentence(f"{name} runs here.").startswith(name), f"add {name} to proper_names"


def test_readiness_reasons_quote_levels_with_their_capitals() -> None:
    data = load_presets()["content_startup"].model_dump()
    data["team"].update(containers=0, api_design=0)
    rec = recommend(Assessment.model_validate(data))
    reasons = {c.driver: c.reason for c in rec.score_of(Architecture.MICROSERVICES).contributions}
    assert reasons["readiness.containers"].endswith(
        "needs 3: production runs on Kubernetes with autoscaling, resource limits and GPU node pools")
    assert reasons["readiness.api_design"].endswith("needs 3: versioned contracts with backward-compatibility "
                                                    "rules and contract tests")
    hybrid = {c.driver: c.reason for c in rec.score_of(Architecture.HYBRID).contributions}
    assert hybrid["readiness.api_design"].endswith("needs 2: documented APIs (OpenAPI or protobuf) reviewed "
                                                   "before changes")
    assert "kubernetes" not in " ".join(reasons.values())
