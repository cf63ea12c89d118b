"""Engine levers: the serving-engine settings an assessment may set, with their labels, help and bounds.

A lever is stored as an assumption override, ``assumption_overrides["serving.<field>"]`` (a number), and is
a field of ``planner.estimate.serving_constants.ServingConstants``, which holds its default. Only a value that
differs from the default is stored, so files stay small and a default can move with the engines. This module
is what the Assess page asks and what ``validate_assessment`` checks: the bounds here equal the model's
(``tests/test_engine_levers.py`` keeps them equal), so a bad value gets a plain sentence at its field before
any estimate is made.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

LEVER_PREFIX = "serving."  # the levers' keys in assumption_overrides, as planner.estimate.serving_constants


@dataclass(frozen=True)
class Lever:
    """One engine setting: how the Assess page asks for it and which values it accepts."""

    field: str  # the ServingConstants field
    label: str  # the question on the Assess page
    help: str  # what it means; the page adds the default
    low: float
    high: float
    low_open: bool = False  # the value must be more than ``low`` (not equal)
    whole: bool = False  # a whole number
    flag: bool = False  # 0 (off) or 1 (on)
    percent: bool = False  # a share, asked in per cent
    step: float = 1.0  # the widget's step, in the unit the page shows

    @property
    def name(self) -> str:
        """The label without its unit in brackets, for sentences: 'Prefix-cache hit rate'."""
        return self.label.split(" (", 1)[0]

    @property
    def key(self) -> str:
        """The key in ``assumption_overrides``."""
        return LEVER_PREFIX + self.field

    def shown(self, value: float) -> float | int | bool:
        """A stored value as the page shows it: per cent for a share, on/off for a flag."""
        if self.flag:
            return bool(value)
        if self.percent:
            return round(value * 100.0, 6)
        return int(value) if self.whole and float(value).is_integer() else float(value)

    def stored(self, shown: float | bool) -> float:
        """The page's value as stored in ``assumption_overrides`` (a plain float)."""
        if self.flag:
            return 1.0 if shown else 0.0
        return float(shown) / 100.0 if self.percent else float(shown)

    def error(self, value: float) -> str | None:
        """Why ``value`` (as stored) cannot be this lever's, in plain words, or None."""
        above = value > self.low if self.low_open else value >= self.low
        if math.isfinite(value) and above and value <= self.high and self._kind_ok(value):
            return None
        return f"{self.name} ({self.key}) must be {self._rule()}; you entered {self._echo(value)}."

    def _kind_ok(self, value: float) -> bool:
        if self.flag:
            return value in (0.0, 1.0)
        return not self.whole or float(value).is_integer()

    def _rule(self) -> str:
        if self.flag:
            return "0 (off) or 1 (on)"
        if self.percent:
            return (f"between {self.low * 100:g} % and {self.high * 100:g} % "
                    f"(a share from {self.low:g} to {self.high:g} in a file)")
        start = f"more than {self.low:g} and at most" if self.low_open else f"between {self.low:g} and"
        high = f"{int(self.high):,}" if float(self.high).is_integer() else f"{self.high:,g}"
        return f"{'a whole number ' if self.whole else ''}{start} {high}"

    def _echo(self, value: float) -> str:
        if self.percent and math.isfinite(value):
            return f"{value * 100:g} %, a share of {value:g}"
        return f"{value:g}"


LEVERS: tuple[Lever, ...] = (
    Lever("prefill_token_budget", "Token budget per iteration",
          "Tokens one engine iteration processes at most, decoding tokens and prompt chunks together (chunked "
          "prefill: vLLM's max_num_batched_tokens, SGLang's chunked_prefill_size, TensorRT-LLM's max_num_tokens). "
          "Smaller keeps every decoding step short, so tokens stream more evenly, but a long prompt needs more "
          "iterations before its first token; larger does the opposite.",
          64, 1_048_576, whole=True, step=1024),
    Lever("prefix_cache_hit_rate", "Prefix-cache hit rate (%)",
          "Share of input tokens the engine finds in its prefix cache (a system prompt shared by every request, "
          "earlier turns of a conversation). They are not prefilled again, which shortens the time to first token "
          "and saves compute, but they still take KV-cache memory and are read at every decoding step. "
          "0 % assumes no reuse; at most 99 %.",
          0.0, 0.99, percent=True, step=5.0),
    Lever("spec_draft_tokens", "Speculative draft tokens per step",
          "0 turns speculative decoding off. Otherwise a draft (an EAGLE or MTP head, or a small draft model) "
          "proposes this many tokens each step and the model checks them in one pass, so a step can emit several "
          "tokens. Typical: 2 to 5.",
          0, 16, whole=True),
    Lever("spec_acceptance_rate", "Draft acceptance rate (%)",
          "Chance that each drafted token is accepted. About 60 to 80 % for chat with a trained draft head, less "
          "for free-form creative text. Used only when speculative draft tokens per step is above 0.",
          0.0, 1.0, percent=True, step=5.0),
    Lever("spec_draft_cost", "Draft cost (% of a model step)",
          "Time to draft one token, as a share of one step of the model at batch 1: about 5 % for a draft head "
          "(EAGLE, MTP), 10 to 20 % for a separate small draft model. Used only when speculative draft tokens is "
          "above 0.",
          0.0, 1.0, percent=True, step=1.0),
    Lever("expert_parallel", "Expert parallelism (MoE models only)",
          "Only meaningful for mixture-of-experts models (Mixtral, DeepSeek, Qwen3 MoE, gpt-oss, Llama 4); a "
          "dense model ignores it. On: each GPU of a replica holds whole experts, and every MoE layer exchanges "
          "tokens between the GPUs (an all-to-all). Off: every expert is split across the GPUs (tensor "
          "parallelism).",
          0.0, 1.0, flag=True),
    Lever("ep_link_gb_s", "GPU-to-GPU bandwidth for expert parallelism (GB/s)",
          "Bandwidth each way per GPU of the link the all-to-all runs on: 450 GB/s for NVLink 4 (H100, H200), "
          "900 for NVLink 5 (B200), far less over PCIe. Used only with expert parallelism on an MoE model.",
          0.0, 100_000.0, low_open=True, step=50.0),
)
LEVERS_BY_KEY = {lever.key: lever for lever in LEVERS}


def lever_errors(overrides: Mapping[str, float]) -> dict[str, str]:
    """One sentence per lever override outside its bounds, at ``assumption_overrides.<key>``."""
    errors: dict[str, str] = {}
    for key, value in overrides.items():
        lever = LEVERS_BY_KEY.get(key)
        problem = lever.error(value) if lever is not None else None
        if problem:
            errors[f"assumption_overrides.{key}"] = problem
    return errors
