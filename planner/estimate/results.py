"""What the engine returns: plain pydantic records with units in field names.

These are stored as JSON with each saved assessment, rendered by the pages and printed by the CLI
and the report, so they hold numbers and sentences, never objects of the engine.
"""

from __future__ import annotations

from pydantic import Field

from planner.inputs.models import Architecture, Sourcing
from planner.inputs.records import Record

# Evaluation (planner.estimate.engine.evaluate) --------------------------------------------------------------


class LatencyEstimate(Record):
    """Simulated latency percentiles at peak, with 95 % confidence intervals."""

    p50_ms: float
    p95_ms: float
    p99_ms: float
    p50_ci_ms: tuple[float, float]
    p95_ci_ms: tuple[float, float]
    p99_ci_ms: tuple[float, float]


class FleetItem(Record):
    """One scaling unit of an architecture and the instances it runs on."""

    unit: str = Field(description="Deployable unit, e.g. 'monolith', 'core', 'inference', 'retrieval'.")
    components: tuple[str, ...]
    kind: str = Field(description="'gpu' or 'cpu'.")
    instance: str
    provider: str
    region: str
    gpu: str = ""
    gpus_per_replica: int = 0
    vcpus_per_replica: float
    replicas_peak: int
    replicas_min: int
    replicas_mean: float = Field(description="Average replicas over the day with autoscaling.")
    usd_per_replica_hour: float
    monthly_usd: float
    price_source: str = Field(default="", description="Where the hourly price comes from.")
    price_as_of: str = ""
    price_basis: str = Field(default="", description=(
        "Which of the row's prices usd_per_replica_hour is: 'on-demand', 'spot', 'committed', or 'on-demand (no "
        "committed price)' where the row lacks the chosen option's price; empty in evaluations saved before it."))
    price_reason: str = Field(default="", description="Why this line pays that price, in one sentence.")
    tier: str = Field(default="", description="'production' or 'community' for GPU lines; empty for CPU lines.")


class CostBreakdown(Record):
    """Monthly cost in USD by category."""

    gpu_usd: float
    cpu_usd: float
    platform_usd: float
    people_usd: float
    api_usd: float = Field(default=0.0, description="A managed API's token bill; 0 when inference is self-hosted.")

    @property
    def total_usd(self) -> float:
        return self.gpu_usd + self.cpu_usd + self.platform_usd + self.people_usd + self.api_usd

    @property
    def infrastructure_usd(self) -> float:
        """What the team's monthly infrastructure budget covers: GPU, API tokens, CPU and platform, not people.

        The one definition of spend against the budget, used by the scoring, the Results page, the PDF and the CLI.
        """
        return self.gpu_usd + self.api_usd + self.cpu_usd + self.platform_usd

    @property
    def inference_usd(self) -> float:
        """What inference itself costs a month: the GPU instances or the API's tokens."""
        return self.gpu_usd + self.api_usd

    def as_dict(self) -> dict[str, float]:
        """Categories with human names, for charts and tables (API only when inference is an API)."""
        api = {"API tokens": self.api_usd} if self.api_usd else {}
        return {"GPU": self.gpu_usd, **api, "CPU": self.cpu_usd, "Platform": self.platform_usd,
                "People": self.people_usd}


class CostLine(Record):
    """One line of the cost arithmetic, so every dollar traces to a formula and its constants."""

    category: str
    item: str
    formula: str
    monthly_usd: float


class StationLoad(Record):
    """Utilisation and queueing of one simulated station at peak."""

    station: str
    utilisation: float
    mean_wait_ms: float
    p95_wait_ms: float


class UnitResilience(Record):
    """How one deployable unit of an architecture fails and deploys, and what that costs a month."""

    unit: str
    components: tuple[str, ...]
    critical: bool = Field(description="Whether its failure fails requests (else it degrades them).")
    replicas: int = Field(description="Replicas at peak: GPU instances or one-vCPU workers.")
    mtbf_h: float = Field(description="Mean time between crashes of one replica, hours.")
    mttr_s: float = Field(description="Time for a crashed or redeployed replica to serve again, s.")
    deploys_per_month: float = Field(description="Rolling restarts a month: code deploys, plus model updates "
                                                 "where the unit holds the model.")
    rollout_batch: int = Field(description="Replicas a rolling restart takes down at once.")
    rollout_min: float = Field(description="Duration of one rolling restart of every replica, minutes.")
    crashes_per_month: float = Field(description="Replica crashes a month, all replicas together.")
    deploy_capacity_minutes_per_month: float = Field(
        description="Minutes of the unit's full capacity out of service for deploys a month.")


class BlastRadius(Record):
    """What one replica crash of a component takes with it."""

    component: str
    unit: str
    affected: tuple[str, ...] = Field(description="Components whose work is lost for the requests it held.")
    effect: str = Field(description="'fails requests' or 'degrades requests'.")
    capacity_lost_share: float = Field(description="Share of its unit's replicas one crash takes down.")


class FailureCause(Record):
    """Requests a month failed, slowed past the latency targets, or degraded, by cause."""

    cause: str
    failed_per_month: float
    slowed_per_month: float
    degraded_per_month: float


class TimelinePoint(Record):
    """Capacity in service at one moment of the simulated incident-and-deploy window."""

    minute: float
    capacity_pct: float = Field(description="Smallest in-service share of a critical unit's replicas, %.")


class ResilienceEstimate(Record):
    """Failures, deploys and model updates of one architecture in numbers (planner.estimate.resilience)."""

    availability_pct: float = Field(description="Share of requests that succeed within the latency targets, %.")
    availability_ci_pct: tuple[float, float] = Field(description="95 % confidence interval of availability_pct.")
    availability_target_pct: float
    meets_availability_target: bool
    requests_per_month: float
    failed_per_month: float
    failed_share: float
    slowed_per_month: float = Field(description="Requests pushed over a latency target by a disturbance.")
    slowed_share: float
    degraded_per_month: float = Field(description="Requests answered without a non-critical step.")
    degraded_share: float
    deploy_capacity_minutes_per_month: float = Field(
        description="Pipeline capacity-minutes out of service for deploys and model updates a month.")
    model_update_lead_time_min: float = Field(
        description="Minutes from a new model being ready to every replica serving it: the wait for a release "
                    "that can carry it (none where inference deploys on its own; for a monolith, half the "
                    "interval between its releases plus the release overhead) and the rolling restart of the "
                    "unit that serves the model (planner.estimate.resilience).")
    crashes_per_month: float
    units: tuple[UnitResilience, ...]
    blast_radius: tuple[BlastRadius, ...]
    causes: tuple[FailureCause, ...]
    timeline: tuple[TimelinePoint, ...]


class TimelineEvent(Record):
    """One disturbance of the simulated incident-and-deploy window shown in the resilience chart."""

    minute: float
    label: str


class ArchitectureEstimate(Record):
    """Fleet, cost and latency of one architecture for the assessed workload."""

    architecture: Architecture
    deployable_units: int
    network_hops: int = Field(description="Network hops a request crosses, both directions.")
    hop_latency_ms: float = Field(description="Median latency the hops add to a request, ms.")
    fleet: tuple[FleetItem, ...]
    cost: CostBreakdown
    cost_lines: tuple[CostLine, ...]
    ttft: LatencyEstimate
    e2e: LatencyEstimate
    meets_ttft_target: bool
    meets_e2e_target: bool
    slo_miss_share: float
    stations: tuple[StationLoad, ...]
    notes: tuple[str, ...] = ()
    resilience: ResilienceEstimate | None = Field(
        default=None, description="Failures and change; None in evaluations saved before it existed.")
    sourcing: Sourcing = Field(default=Sourcing.SELF_HOSTED,
                               description="'self_hosted' (our GPUs) or 'api' (a provider's API serves the model).")
    inference_text: str = Field(default="", description="How inference is sourced, in words: 'self-hosted on 2x "
                                "8x H100 (AWS p5.48xlarge)' or 'through Together AI Llama 3.3 70B'.")

    @property
    def monthly_cost_usd(self) -> float:
        return self.cost.total_usd

    @property
    def meets_targets(self) -> bool:
        return self.meets_ttft_target and self.meets_e2e_target


class RateLimitCheck(Record):
    """Peak requests and tokens a minute against a provider's published limits (planner.estimate.api)."""

    peak_requests_per_min: float
    peak_tokens_per_min: float
    tier: str = Field(description="The tier the row's limits are published at; empty when none is.")
    requests_per_min: float | None
    tokens_per_min: float | None
    within: bool | None = Field(description="Whether the peak fits that tier; None when no limit is published.")
    tier_needed: str = Field(description="The lowest published tier that allows the peak; empty when none does.")
    warning: bool
    text: str


class CostPoint(Record):
    """Monthly inference cost of both sourcings at one traffic volume (the break-even chart)."""

    requests_per_month: float
    api_usd: float
    self_hosted_usd: float | None = Field(description="None when no allowed instance can serve the model.")


class SourcingFactor(Record):
    """One named argument for a sourcing, as the recommendation's contributions name theirs (planner.estimate.sourcing).

    ``decisive`` factors decide a comparison, the first in order: answers that rule the API out, no instance able
    to self-host, the latency targets, then the monthly inference cost (``usd_per_month``: the difference).
    """

    driver: str
    favours: Sourcing
    decisive: bool
    reason: str
    usd_per_month: float | None = None


class BuildVsBuy(Record):
    """A managed API against self-hosted GPUs for the assessment's model and token mix (planner.estimate.sourcing).

    Both sides are inference only: the API's token bill and the GPU instances that serve the model (the
    hybrid's inference unit). CPU steps, platform and people are priced in each architecture's own estimate.
    """

    api_id: str
    api_label: str
    api_model_id: str | None = Field(description="The catalog model the API serves; None for a proprietary one.")
    requests_per_month: float
    api_monthly_usd: float
    self_hosted_monthly_usd: float | None = Field(description="None when no allowed instance can serve the model.")
    self_hosted_text: str = Field(description="The GPU fleet behind the self-hosted figure, and how it was sized.")
    break_even_requests_per_month: float | None = Field(
        description="Volume above which self-hosting stays cheaper; None when it is not within the chart's range.")
    break_even_text: str
    curve: tuple[CostPoint, ...]
    cheaper: Sourcing = Field(description="'api' or 'self_hosted' at the assessment's own traffic.")
    ruled_out: tuple[str, ...] = Field(default=(), description="Answers that rule the API out, as sentences.")
    rate_limit: RateLimitCheck
    notes: tuple[str, ...] = ()
    chosen: Sourcing = Field(description="The sourcing the estimates use: the chosen one, or the cheaper allowed.")
    reasons: tuple[str, ...] = Field(default=(), description="Why that sourcing, one sentence each.")
    factors: tuple[SourcingFactor, ...] = Field(default=(), description="The named arguments behind the reasons.")


class AssumptionUsed(Record):
    """A named constant the evaluation used, with its value and where it comes from."""

    key: str
    value: float
    unit: str
    description: str
    source: str
    as_of: str
    overridden: bool = False


class Evaluation(Record):
    """The engine's estimates for every architecture, and what they rest on."""

    estimates: dict[Architecture, ArchitectureEstimate]
    assumptions: tuple[AssumptionUsed, ...]
    model_name: str
    seed: int
    resilience_events: tuple[TimelineEvent, ...] = Field(
        default=(), description="The disturbances of the resilience timeline, the same for every architecture.")
    allowed_instance_count: int | None = Field(
        default=None, description="Instance rows the GPU types, providers and community setting allowed (each priced "
                                  "under the pricing option); None in evaluations saved before it.")
    sourcing: Sourcing = Field(default=Sourcing.SELF_HOSTED, description="How ``estimates`` source inference.")
    alternative: dict[Architecture, ArchitectureEstimate] | None = Field(
        default=None, description="When the planner compared: the estimates of the sourcing not chosen.")
    build_vs_buy: BuildVsBuy | None = Field(
        default=None, description="API against self-hosted, when the assessment names a managed API.")

    def estimate(self, architecture: Architecture) -> ArchitectureEstimate:
        """The estimate of one architecture."""
        return self.estimates[architecture]
