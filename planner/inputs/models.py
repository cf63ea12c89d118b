"""Validated inputs of an assessment: the workload, the team, and the catalog records they refer to.

Every number a user can type is bounded here, so bad input never reaches the engine. Units are in
the field names (``_per_s``, ``_ms``, ``_usd``) or the field description. Results of the engine and
of the recommendation live in ``planner.estimate.results``.
"""

from __future__ import annotations

from enum import StrEnum, auto
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from planner.inputs.base import Sourced as Sourced
from planner.inputs.base import StrictModel as StrictModel
from planner.inputs.limits import NAME_MAX_CHARS, NOTES_MAX_CHARS
from planner.inputs.precision import KvPrecision as KvPrecision
from planner.inputs.precision import Precision as Precision
from planner.inputs.precision import kv_precision_for as kv_precision_for
from planner.inputs.sourcing import InferenceSourcing as InferenceSourcing
from planner.inputs.sourcing import Sourcing as Sourcing
from planner.inputs.text import MultilineText, SingleLineText

InstanceTier = Literal["production", "community"]
PRODUCTION_TIER: InstanceTier = "production"  # instances.csv tier of a provider's own data-centre offer
COMMUNITY_TIER: InstanceTier = "community"  # a community or marketplace offer on third-party hosts

SCHEMA_VERSION = 1  # version of the assessment file format (JSON/YAML import, presets)

# Sane maxima: beyond these an answer is a typo, not a workload.
MAX_REQUESTS_PER_S = 100_000.0  # a very large consumer chatbot peaks in the low tens of thousands
MAX_TOKENS = 1_000_000  # the longest context windows on the market
MAX_LATENCY_MS = 600_000.0  # ten minutes
MAX_CPU_MS_PER_REQUEST = 60_000.0
MAX_COMPONENTS = 12
MAX_MTBF_H = 1_000_000.0  # over a century: beyond this a crash rate is a typo
MAX_MTTR_S = 604_800.0  # a week to bring one replica back


# Fields that may not be below another field given before them: field -> (the other field, the sentence).
CROSS_FIELD_FLOORS = {
    "peak_requests_per_s": ("mean_requests_per_s", "peak requests/s ({value:g}) must be at least the mean ({floor:g})"),
    "p95_e2e_ms": ("p95_ttft_ms", "p95 end-to-end latency ({value:g} ms) cannot be below p95 time to first token "
                                  "({floor:g} ms)"),
}


class Architecture(StrEnum):
    MONOLITH = "monolith"
    HYBRID = "hybrid"
    MICROSERVICES = "microservices"

    @property
    def label(self) -> str:
        return {"monolith": "Monolith", "hybrid": "Hybrid", "microservices": "Microservices"}[self.value]


class TrafficShape(StrEnum):
    """How traffic varies over a day (data/traffic_shapes.yaml holds each profile)."""

    STEADY = auto()
    BUSINESS_HOURS = auto()
    SPIKY = auto()


class Stage(StrEnum):
    """Where the product is; it sets the default revisit interval (data/revisit.yaml)."""

    PROTOTYPE = auto()
    EARLY = auto()
    GROWTH = auto()
    ENTERPRISE = auto()


class PricingOption(StrEnum):
    """Which price of an instance row the fleet is priced at."""

    ON_DEMAND = auto()
    SPOT = auto()
    COMMITTED = auto()


Level = Annotated[int, Field(ge=0, le=4, strict=True)]
Name = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]


class Component(StrictModel):
    """A CPU step of the request pipeline (gateway, orchestration, retrieval, safety, ...)."""

    name: Name = Field(description="Short identifier, lower case, e.g. 'retrieval'.")
    cpu_ms_per_request: float = Field(
        ge=0.0, le=MAX_CPU_MS_PER_REQUEST, description="CPU time one request needs in this step, ms."
    )
    critical: bool = Field(
        default=True, description="True: a failure of this step fails the request; False: it degrades it."
    )
    deploys_per_week: float = Field(default=1.0, ge=0.0, le=500.0, description="Code deploys per week.")
    after_inference: bool = Field(
        default=False, description="True: the step runs on the model's output (post-processing, safety)."
    )
    mtbf_h: float | None = Field(
        default=None, gt=0.0, le=MAX_MTBF_H,
        description="Mean time between crashes of one replica of this step, hours; None: resilience.replica_mtbf_h.",
    )
    mttr_s: float | None = Field(
        default=None, gt=0.0, le=MAX_MTTR_S,
        description="Time for a crashed or redeployed replica of this step to serve again, s; "
                    "None: resilience.cpu_restart_s.",
    )


def default_pipeline() -> list[Component]:
    """The default request path around LLM inference, from data/questions.yaml."""
    from planner.inputs.questions import load_question_bank  # late import: questions imports nothing of ours

    return [Component.model_validate(c) for c in load_question_bank().pipeline.default]


class WorkloadProfile(StrictModel):
    """What the platform must serve, how fast, and how often it changes."""

    mean_requests_per_s: float = Field(gt=0.0, le=MAX_REQUESTS_PER_S, description="Mean requests/s.")
    peak_requests_per_s: float = Field(gt=0.0, le=MAX_REQUESTS_PER_S, description="Peak requests/s.")
    traffic_shape: TrafficShape = TrafficShape.BUSINESS_HOURS
    streaming_share: float = Field(default=0.8, ge=0.0, le=1.0, description="Share of streamed responses.")
    mean_input_tokens: int = Field(ge=1, le=MAX_TOKENS, strict=True)
    mean_output_tokens: int = Field(ge=1, le=MAX_TOKENS, strict=True)
    input_tokens_cv: float = Field(default=0.5, ge=0.0, le=3.0, description="Coefficient of variation.")
    output_tokens_cv: float = Field(default=0.5, ge=0.0, le=3.0, description="Coefficient of variation.")
    model_id: str = Field(min_length=1, max_length=60, description="An id from data/llms.csv.")
    precision: Precision = Precision.BF16
    kv_precision: KvPrecision | None = Field(
        default=None, description="KV-cache precision; empty: FP8 beside FP8/FP4 weights, BF16 otherwise.")
    pipeline: list[Component] = Field(default_factory=default_pipeline, max_length=MAX_COMPONENTS)
    p95_ttft_ms: float = Field(gt=0.0, le=MAX_LATENCY_MS, description="Target p95 time to first token, ms.")
    p95_e2e_ms: float = Field(gt=0.0, le=MAX_LATENCY_MS, description="Target p95 end-to-end latency, ms.")
    availability_target_pct: float = Field(ge=90.0, le=99.999, description="Availability target, %.")
    model_updates_per_month: float = Field(default=1.0, ge=0.0, le=1000.0)
    teams_contributing: int = Field(default=1, ge=1, le=200, strict=True)
    gpu_types: list[str] = Field(default_factory=list, description="Allowed GPU types; empty means any.")
    providers: list[str] = Field(default_factory=list, description="Allowed providers; empty means any.")
    pricing: PricingOption = PricingOption.ON_DEMAND
    allow_community_instances: bool = Field(
        default=False, description="Whether community or marketplace offers (instances.csv tier 'community') may "
                                   "be chosen; by default only production-grade offers are.")

    @field_validator("pipeline")
    @classmethod
    def _unique_component_names(cls, pipeline: list[Component]) -> list[Component]:
        names = [c.name for c in pipeline]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"each pipeline step needs its own name; repeated: {', '.join(duplicates)}")
        if "inference" in names:
            raise ValueError("'inference' is added by the planner; do not list it as a pipeline step")
        return pipeline

    # Cross-field rules are field validators (fields validate in definition order), so that each
    # error is reported at the field the user must change.
    @field_validator("peak_requests_per_s", "p95_e2e_ms")
    @classmethod
    def _not_below_its_partner(cls, value: float, info: ValidationInfo) -> float:
        partner, message = CROSS_FIELD_FLOORS[info.field_name or ""]
        floor = info.data.get(partner)
        if floor is not None and value < floor:
            raise ValueError(message.format(value=value, floor=floor))
        return value

    @property
    def deploys_per_week(self) -> float:
        """Code deploys per week summed over the pipeline's components."""
        return sum(c.deploys_per_week for c in self.pipeline)


class TeamReadiness(StrictModel):
    """How ready the team is to run distributed services; levels 0-4 as described in data/questions.yaml."""

    containers: Level = 2
    observability: Level = 2
    cicd: Level = 2
    on_call: Level = 2
    api_design: Level = 2
    service_security: Level = 2
    team_size: int = Field(default=8, ge=1, le=10_000, strict=True, description="Engineers on the product.")
    platform_headcount: int = Field(default=1, ge=0, le=1_000, strict=True, description="Platform/SRE staff.")
    monthly_budget_usd: float = Field(default=50_000.0, gt=0.0, le=1e9, description="Infrastructure budget.")
    stage: Stage = Stage.EARLY

    @field_validator("platform_headcount")
    @classmethod
    def _headcount_within_team(cls, headcount: int, info: ValidationInfo) -> int:
        team = info.data.get("team_size")
        if team is not None and headcount > team:
            raise ValueError(f"platform/SRE headcount ({headcount}) cannot exceed the team size ({team})")
        return headcount

    def levels(self) -> dict[str, int]:
        """The six 0-4 readiness levels by question key."""
        return {k: getattr(self, k) for k in READINESS_KEYS}


READINESS_KEYS = ("containers", "observability", "cicd", "on_call", "api_design", "service_security")


class Assessment(StrictModel):
    """One set of answers: the unit that is validated, evaluated, saved, exported and imported."""

    schema_version: int = Field(default=SCHEMA_VERSION, ge=1, le=SCHEMA_VERSION, strict=True)
    project: SingleLineText = Field(default="Untitled project", min_length=1, max_length=NAME_MAX_CHARS)
    label: SingleLineText = Field(default="", max_length=NAME_MAX_CHARS)
    notes: MultilineText = Field(default="", max_length=NOTES_MAX_CHARS,
                                 description="Free text kept with the assessment.")
    workload: WorkloadProfile
    team: TeamReadiness = Field(default_factory=TeamReadiness)
    assumption_overrides: dict[str, float] = Field(
        default_factory=dict, description="Named engine constants replaced by the user (see data/)."
    )
    price_list: SingleLineText | None = Field(
        default=None, min_length=1, max_length=NAME_MAX_CHARS,
        description="A saved price list's name; None: data/instances.csv.",
    )
    sourcing: InferenceSourcing = Field(
        default_factory=InferenceSourcing, description="Self-hosted GPUs, a managed API, or both compared.")


# Catalog records (rows of data/ files) -------------------------------------------------------------


GpuVendor = Literal["nvidia", "amd"]  # the software stack (CUDA or ROCm) a calibration applies to


CatalogLabel = Annotated[str, Field(min_length=1, max_length=40)]  # GPU types, providers, regions
TensorRate = Annotated[float, Field(gt=0, le=100_000)]  # dense TFLOP/s (or TOPS), as datasheets quote them
HourlyPrice = Annotated[float, Field(gt=0, le=10_000)]  # USD per instance-hour


class GpuSpec(Sourced):
    """One GPU type's datasheet figures (dense, not sparse).

    Vendor sheets often quote tensor rates "with sparsity", twice the dense rate; the catalog keeps the dense
    ones. ``fp8_tflops``, ``fp4_tflops`` and ``int8_tops`` are None where the GPU has no such units (or the
    figure is not sourced); ``vendor`` names the software stack a calibration applies to. The columns after
    ``fp8_tflops`` are optional, so GPU spec files (and saved price lists, snapshots and exports) written
    before they existed still load.
    """

    gpu: CatalogLabel
    vendor: GpuVendor | None = None  # the columns in data/gpus.csv's order
    memory_gb: float = Field(gt=0, le=1024)
    bandwidth_tb_s: float = Field(gt=0, le=100)
    bf16_tflops: TensorRate
    fp8_tflops: TensorRate | None = None
    fp4_tflops: TensorRate | None = None
    int8_tops: TensorRate | None = None
    link_gb_s: float | None = Field(
        default=None, gt=0, le=100_000,
        description="GPU-to-GPU bandwidth each way per GPU, GB/s (NVLink, Infinity Fabric; PCIe if none).")

    def compute_rate(self, precision: Precision) -> tuple[float, int]:
        """The matrix products' dense FLOP/s at a weight precision (``Precision`` says which rate each uses), and
        the width in bits of the tensor-core rate that gives it (16, 8 or 4).

        A GPU without the units runs at the next wider rate it has: FP4 falls back to FP8, then BF16; FP8 falls
        back to BF16. INT8 and INT4 weights are weight-only and run at the BF16 rate (``int8_tops`` is the
        datasheet's figure, kept for reference).
        """
        rates = {
            Precision.FP4: ((self.fp4_tflops, 4), (self.fp8_tflops, 8)),
            Precision.FP8: ((self.fp8_tflops, 8),),
        }.get(precision, ())
        tflops, bits = next(((r, b) for r, b in rates if r), (self.bf16_tflops, 16))
        return tflops * 1e12, bits

    def weight_only(self, precision: Precision) -> bool:
        """Whether weights of ``precision`` are narrower than the rate they run at on this GPU, so that kernels
        dequantise every weight they read (INT8, INT4; FP8 or FP4 without such units, as Marlin kernels run
        them)."""
        return precision.bits < self.compute_rate(precision)[1]

    def peak_flops(self, precision: Precision) -> float:
        """Dense FLOP/s of the matrix products at a weight precision (``compute_rate``)."""
        return self.compute_rate(precision)[0]


class InstancePrice(Sourced):
    """One rentable instance type and its hourly prices in USD."""

    provider: CatalogLabel
    instance: str = Field(min_length=1, max_length=60)
    region: CatalogLabel
    gpu: CatalogLabel
    gpu_count: int = Field(ge=1, le=64)
    vcpus: int = Field(ge=1, le=1024)
    on_demand_usd_h: HourlyPrice
    spot_usd_h: HourlyPrice | None = None
    committed_usd_h: HourlyPrice | None = None
    tier: InstanceTier = Field(default=PRODUCTION_TIER, description="'production' (a provider's own data-centre "
                               "offer) or 'community' (a marketplace of third-party hosts); the source says why.")

    def price_usd_h(self, option: PricingOption) -> float | None:
        """The hourly price under a pricing option, or None where none is sourced."""
        return {
            PricingOption.ON_DEMAND: self.on_demand_usd_h,
            PricingOption.SPOT: self.spot_usd_h,
            PricingOption.COMMITTED: self.committed_usd_h,
        }[option]


class LlmSpec(Sourced):
    """Architecture numbers of one LLM from its config.json and model card.

    ``kv_heads`` x ``head_dim`` is what grouped-query attention caches per layer for keys and again for values.
    Multi-head latent attention (``attention`` "mla", DeepSeek-V3/R1) caches instead one compressed latent of
    ``kv_lora_rank`` values plus a shared rotary key of ``rope_head_dim`` values per layer, for keys and values
    together. ``local_attention_layers`` of the layers attend only to the last ``local_window_tokens`` tokens (a
    sliding window, gpt-oss) or to their own chunk of that many tokens (Llama 4), so they cache at most that many.
    ``experts`` and ``active_experts`` are the routed experts per MoE layer and those used per token (1 and 1 for
    a dense model); ``hidden_size`` and ``attention_heads`` are None only for records written before they existed.
    """

    id: str = Field(min_length=1, max_length=60, pattern=r"^[a-z0-9][a-z0-9._-]*$")
    name: str = Field(min_length=1, max_length=80)
    params_b: float = Field(gt=0, le=10_000, description="Total parameters, billions.")
    active_params_b: float = Field(gt=0, le=10_000, description="Parameters used per token, billions.")
    layers: int = Field(ge=1, le=1000)
    kv_heads: int = Field(ge=1, le=1024)
    head_dim: int = Field(ge=1, le=4096)
    context_tokens: int = Field(ge=512, le=100_000_000)
    hidden_size: int | None = Field(default=None, ge=1, le=1_000_000)
    attention_heads: int | None = Field(default=None, ge=1, le=4096)
    experts: int = Field(default=1, ge=1, le=4096, description="Routed experts per MoE layer; 1: dense.")
    active_experts: int = Field(default=1, ge=1, le=4096, description="Routed experts used per token.")
    attention: Literal["gqa", "mla"] = "gqa"
    kv_lora_rank: int | None = Field(default=None, ge=1, le=65_536, description="MLA latent width per layer.")
    rope_head_dim: int | None = Field(default=None, ge=1, le=4096, description="MLA rotary key width per layer.")
    local_attention_layers: int | None = Field(default=None, ge=1, le=1000)
    local_window_tokens: int | None = Field(default=None, ge=1, le=100_000_000)

    @model_validator(mode="after")
    def _consistent(self) -> LlmSpec:
        problems = _llm_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def kv_values_per_token(self) -> int:
        """Values the KV cache holds per token over all layers, every layer attending to the whole context."""
        if self.attention == "mla" and self.kv_lora_rank and self.rope_head_dim:
            return self.layers * (self.kv_lora_rank + self.rope_head_dim)
        return 2 * self.layers * self.kv_heads * self.head_dim

    def kv_values_for_sequence(self, tokens: int) -> int:
        """Values the KV cache holds for one sequence of ``tokens``, local-attention layers holding at most
        their window."""
        full = self.kv_values_per_token() * tokens
        if not self.local_attention_layers or not self.local_window_tokens:
            return full
        per_layer_token = self.kv_values_per_token() // self.layers
        excess = max(0, tokens - self.local_window_tokens)
        return full - self.local_attention_layers * per_layer_token * excess


def _llm_problems(llm: LlmSpec) -> list[str]:
    """The rules between an LLM record's fields that single-field bounds cannot say, as sentences."""
    problems = []
    if llm.active_params_b > llm.params_b:
        problems.append("active parameters cannot exceed total parameters")
    if llm.active_experts > llm.experts:
        problems.append("active experts per token cannot exceed the experts")
    if llm.attention_heads is not None and llm.attention_heads % llm.kv_heads:
        problems.append(f"attention heads ({llm.attention_heads}) must be a multiple of the KV heads ({llm.kv_heads})")
    is_mla = llm.attention == "mla"
    if is_mla != (llm.kv_lora_rank is not None) or is_mla != (llm.rope_head_dim is not None):
        problems.append("kv_lora_rank and rope_head_dim are given exactly when attention is mla")
    if (llm.local_attention_layers is None) != (llm.local_window_tokens is None):
        problems.append("local_attention_layers and local_window_tokens are given together")
    elif llm.local_attention_layers is not None and llm.local_attention_layers > llm.layers:
        problems.append("local attention layers cannot exceed the layers")
    return problems
