"""Simulated fleets are kept by what the simulation reads, not by prices or team (planner.estimate.fleets).

Re-evaluating with other prices or another team re-simulates nothing when the cheapest instance type stays the
same, and gives exactly what a fresh evaluation gives; a change the simulation reads (traffic, a GPU's specs)
simulates again. These are what make History's "Explain the change" fast (issue 16).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import pytest

import planner.estimate.fleets
from planner.estimate.engine import evaluate
from planner.estimate.evaluation_cache import clear_evaluation_cache
from planner.inputs.catalog import load_gpus, load_instances
from planner.inputs.files import load_presets
from planner.inputs.models import Architecture, Assessment, GpuSpec, InstancePrice

PRICE_CUT = 0.85  # every instance 15 % cheaper: the cheapest type stays the cheapest


class Counter:
    """Counts the fleets simulated (``simulate_fleet`` calls) while it is installed."""

    def __init__(self, original: Callable[..., Any]) -> None:
        self.original, self.calls = original, 0

    def __call__(self, *args: Any) -> Any:
        self.calls += 1
        return self.original(*args)


@pytest.fixture
def simulated(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    clear_evaluation_cache()
    counter = Counter(planner.estimate.fleets.simulate_fleet)
    monkeypatch.setattr(planner.estimate.fleets, "simulate_fleet", counter)
    yield counter
    clear_evaluation_cache()


def cheaper(rows: Sequence[InstancePrice]) -> tuple[InstancePrice, ...]:
    def cut(price: float | None) -> float | None:
        return None if price is None else round(price * PRICE_CUT, 4)

    return tuple(r.model_copy(update={"on_demand_usd_h": cut(r.on_demand_usd_h), "spot_usd_h": cut(r.spot_usd_h),
                                      "committed_usd_h": cut(r.committed_usd_h)}) for r in rows)


def fresh(assessment: Assessment, **kwargs: Any) -> str:
    """The evaluation with nothing kept from before."""
    clear_evaluation_cache()
    return evaluate(assessment, **kwargs).model_dump_json()


def with_changes(assessment: Assessment, workload: Mapping[str, Any] = {}, team: Mapping[str, Any] = {}) -> Assessment:
    data = assessment.model_dump(mode="json")
    data["workload"].update(workload)
    data["team"].update(team)
    return Assessment.model_validate(data)


def test_other_prices_re_simulate_nothing_and_agree_with_a_fresh_evaluation(simulated: Counter) -> None:
    chatbot = load_presets()["chatbot_daily_updates"]
    before = evaluate(chatbot)
    assert simulated.calls == 3
    after = evaluate(chatbot, instances=cheaper(load_instances()))
    assert simulated.calls == 3  # nothing simulated again
    assert after.estimates.keys() == before.estimates.keys()
    for architecture, estimate in after.estimates.items():
        assert estimate.cost.gpu_usd == pytest.approx(before.estimates[architecture].cost.gpu_usd * PRICE_CUT,
                                                      rel=1e-3)
        assert estimate.e2e == before.estimates[architecture].e2e
    assert after.model_dump_json() == fresh(chatbot, instances=cheaper(load_instances()))


def test_another_team_re_simulates_nothing_and_agrees_with_a_fresh_evaluation(simulated: Counter) -> None:
    chatbot = load_presets()["chatbot_daily_updates"]
    before = evaluate(chatbot)
    weaker = with_changes(chatbot, team={"containers": 1, "observability": 1})
    after = evaluate(weaker)
    assert simulated.calls == 3
    micro = after.estimates[Architecture.MICROSERVICES]
    assert micro.cost.people_usd > before.estimates[Architecture.MICROSERVICES].cost.people_usd
    assert after.model_dump_json() == fresh(weaker)


def test_more_traffic_is_simulated_again(simulated: Counter) -> None:
    chatbot = load_presets()["chatbot_daily_updates"]
    evaluate(chatbot)
    busier = with_changes(chatbot, workload={"mean_requests_per_s": 70.0, "peak_requests_per_s": 200.0})
    after = evaluate(busier).model_dump_json()
    assert simulated.calls == 6
    assert after == fresh(busier)


def test_other_gpu_specs_are_simulated_again(simulated: Counter) -> None:
    blank = load_presets()["blank"]
    evaluate(blank)
    slower: dict[str, GpuSpec] = {name: g.model_copy(update={"bandwidth_tb_s": g.bandwidth_tb_s * 0.9})
                                  for name, g in load_gpus().items()}
    after = evaluate(blank, gpus=slower).model_dump_json()
    assert simulated.calls == 6
    assert after == fresh(blank, gpus=slower)
