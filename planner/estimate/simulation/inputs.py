"""What one simulation run is given: the stations, the network hops, the outages and the workload.

Plain numbers in seconds, milliseconds and tokens, checked when built: a bad value raises
``ValueError('"name" must be > 0.')`` as simpy's own examples do. Each model lists its per-field rules
in ``FIELD_RULES`` (checked in that order, after any check across fields).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, model_validator


def _positive(value: float, name: str) -> None:
    if not value > 0 or not math.isfinite(value):
        raise ValueError(f'"{name}" must be > 0.')


def _non_negative(value: float, name: str) -> None:
    if not value >= 0 or not math.isfinite(value):
        raise ValueError(f'"{name}" must be >= 0.')


Rule = Callable[[float, str], None]


class _Checked(BaseModel):
    """A frozen model whose numeric fields are checked by the rules of ``FIELD_RULES`` (None skipped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    FIELD_RULES: ClassVar[tuple[tuple[str, Rule], ...]] = ()

    @model_validator(mode="after")
    def _check(self) -> _Checked:
        self._check_relations()
        for name, rule in self.FIELD_RULES:
            value = getattr(self, name)
            if value is not None:
                rule(value, name)
        return self

    def _check_relations(self) -> None:
        """Checks across fields, run before the per-field rules (none by default)."""


class CpuStation(_Checked):
    """A pool of ``servers`` identical workers behind one FIFO queue; service time in seconds."""

    name: str
    servers: int
    mean_service_s: float
    service_cv: float = 1.0  # 1 = exponential, 0 = deterministic, otherwise gamma

    FIELD_RULES = (("servers", _positive), ("mean_service_s", _positive), ("service_cv", _non_negative))


class InferenceStation(_Checked):
    """``replicas`` model replicas, each continuously batching up to ``max_batch`` sequences with chunked prefill.

    ``step_s(decoding, prefill_tokens)`` is the duration in seconds of one iteration that gives each of
    ``decoding`` sequences its next token(s) and prefills ``prefill_tokens`` prompt tokens. An iteration
    processes at most ``token_budget`` tokens, decoding sequences first (``verify_tokens`` each); the rest of
    the budget goes to waiting prompts in arrival order, a long prompt over several iterations. None: no
    budget, every admitted prompt is prefilled whole in one iteration. A prompt's first token comes at the
    end of the iteration that finishes its prefill; then each iteration emits ``tokens_per_step`` tokens
    (more than 1 with speculative decoding). ``cached_share`` of every prompt is in the prefix cache and is
    not prefilled.
    """

    name: str
    replicas: int
    max_batch: int
    step_s: Callable[[int, int], float]
    token_budget: int | None = None
    verify_tokens: int = 1
    tokens_per_step: float = 1.0
    cached_share: float = 0.0

    FIELD_RULES = (("replicas", _positive), ("max_batch", _positive), ("token_budget", _positive),
                   ("verify_tokens", _positive), ("tokens_per_step", _positive), ("cached_share", _non_negative))

    def _check_relations(self) -> None:
        if self.tokens_per_step < 1 or self.cached_share >= 1:
            raise ValueError('"tokens_per_step" must be >= 1 and "cached_share" < 1.')


class ApiStation(_Checked):
    """A provider's API: every request is served at once (the provider scales; its rate limits are checked apart).

    A request's first token comes after a lognormal time with median ``ttft_median_s`` and shape ``ttft_sigma``,
    plus ``prefill_s_per_token`` for each prompt token beyond ``reference_input_tokens`` (the prompt length the
    median was measured at); then its output tokens stream at ``output_tokens_per_s``.
    """

    name: str
    ttft_median_s: float
    ttft_sigma: float
    output_tokens_per_s: float
    prefill_s_per_token: float = 0.0
    reference_input_tokens: float = 0.0

    FIELD_RULES = (("ttft_median_s", _positive), ("ttft_sigma", _non_negative), ("output_tokens_per_s", _positive),
                   ("prefill_s_per_token", _non_negative), ("reference_input_tokens", _non_negative))


Station = CpuStation | InferenceStation | ApiStation


class Hop(_Checked):
    """Network latency: lognormal with this median (ms) and shape ``sigma``, plus a fixed extra (ms)."""

    median_ms: float
    sigma: float
    extra_ms: float = 0.0  # e.g. service-mesh proxy overhead

    FIELD_RULES = (("median_ms", _non_negative), ("sigma", _non_negative), ("extra_ms", _non_negative))


class Outage(_Checked):
    """``down`` workers (CPU) or replicas (inference) of station ``station`` out of service for a while.

    The outage starts ``start_s`` after the first measured request arrives and lasts ``duration_s``.
    A CPU worker that is busy when the outage starts finishes its request first (a drained restart);
    an inference replica stops receiving new requests and finishes the ones it holds.
    """

    station: int
    down: int
    start_s: float = 0.0
    duration_s: float

    FIELD_RULES = (("down", _positive), ("start_s", _non_negative), ("duration_s", _positive))


def station_size(station: Station) -> int:
    """Workers of a CPU station or replicas of an inference station: what an outage takes from (an API has no
    replicas of ours: 1, so no outage can be laid on it)."""
    if isinstance(station, ApiStation):
        return 1
    return station.servers if isinstance(station, CpuStation) else station.replicas


class SimulationInput(_Checked):
    """Pipeline, workload and run length of one simulation; ``hops[i]`` is paid before ``stations[i]``.

    ``None`` as a hop means in-process (no latency); an empty ``hops`` means every hop is in-process.
    ``outages`` take capacity away for a while (crashes, rolling restarts); each leaves at least one
    worker or replica of its station in service.
    """

    stations: list[CpuStation | InferenceStation | ApiStation]
    hops: list[Hop | None] = []
    return_hop: Hop | None = None
    arrival_rate_per_s: float
    mean_input_tokens: float = 1.0
    input_tokens_cv: float = 0.0
    mean_output_tokens: float = 1.0
    output_tokens_cv: float = 0.0
    n_requests: int
    warmup_requests: int = 0
    seed: int = 0
    ttft_slo_ms: float | None = None
    e2e_slo_ms: float | None = None
    outages: list[Outage] = []

    FIELD_RULES = (
        ("arrival_rate_per_s", _positive),
        ("mean_input_tokens", _positive),
        ("mean_output_tokens", _positive),
        ("input_tokens_cv", _non_negative),
        ("output_tokens_cv", _non_negative),
        ("n_requests", _positive),
        ("warmup_requests", _non_negative),
        ("ttft_slo_ms", _positive),
        ("e2e_slo_ms", _positive),
    )

    def _check_relations(self) -> None:
        if not self.stations:
            raise ValueError('"stations" must not be empty.')
        for outage in self.outages:
            if not 0 <= outage.station < len(self.stations):
                raise ValueError(f'"outages" names station {outage.station}, which does not exist.')
            station = self.stations[outage.station]
            size = station_size(station)
            if outage.down >= size:
                raise ValueError(f'an outage must leave one of the {size} servers of "{station.name}" in service.')
        if self.hops and len(self.hops) != len(self.stations):
            raise ValueError('"hops" must have one entry per station (or be empty).')
