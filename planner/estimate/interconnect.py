"""Communication between the GPUs of one inference replica, and what splitting a model over them costs.

Tensor parallelism splits every layer over the replica's GPUs and joins the parts with two all-reduces per layer
(Megatron-LM); expert parallelism keeps each expert of a mixture-of-experts model whole on one GPU and sends each
token's activations to its experts and back (an all-to-all per MoE layer). ``planner.estimate.serving`` adds these
times to each iteration of its step model.
"""

from __future__ import annotations

import math

from planner.estimate.serving_constants import ServingConstants
from planner.inputs.models import GpuSpec, LlmSpec
from planner.inputs.units import GB

__all__ = ["all_reduce_times", "all_to_all_s_per_token", "over_pcie", "tp_scaling"]

ACTIVATION_BYTES = 2.0  # bytes per value of the activations all-reduces and all-to-alls move (BF16)
ALL_REDUCES_PER_LAYER = 2  # tensor parallelism: after attention and after the MLP (Megatron-LM)
PCIE_MAX_LINK_GB_S = 64.0  # GB/s each way of PCIe Gen5 x16: a GPU link no faster than this is PCIe (over_pcie)


def tp_scaling(tensor_parallel: int, tp_efficiency: float) -> float:
    """Share of linear speed-up kept by ``tensor_parallel`` GPUs: ``tp_efficiency`` per doubling."""
    return float(tp_efficiency ** math.log2(tensor_parallel))


def all_to_all_s_per_token(llm: LlmSpec, c: ServingConstants, tp: int) -> float:
    """Expert parallelism: each token's activations go to its experts and back in every MoE layer; the share
    (tp - 1) / tp leaves the GPU, over ``ep_link_gb_s`` per GPU (a labelled assumption)."""
    if not c.expert_parallel or tp == 1 or llm.experts <= 1 or not llm.hidden_size:
        return 0.0
    moved = 2.0 * llm.layers * llm.active_experts * llm.hidden_size * ACTIVATION_BYTES * (tp - 1) / tp
    return moved / (tp * c.ep_link_gb_s * GB)


def over_pcie(gpu: GpuSpec) -> bool:
    """Whether a GPU's peers are reached over PCIe: no link named, or one no faster than PCIe Gen5 x16."""
    return gpu.link_gb_s is None or gpu.link_gb_s <= PCIE_MAX_LINK_GB_S


def all_reduce_times(llm: LlmSpec, gpu: GpuSpec, c: ServingConstants, tp: int) -> tuple[float, float]:
    """Tensor parallelism's all-reduces per iteration: (seconds per token, fixed seconds).

    Two ring all-reduces per layer of ``hidden_size`` activations per token; a ring moves 2 (tp - 1) / tp of
    the message over each GPU's link (``GpuSpec.link_gb_s``), and each all-reduce has a fixed latency
    (``allreduce_latency_us``). Over PCIe (``over_pcie``) the ring reaches ``pcie_allreduce_gb_s`` and each
    all-reduce takes ``pcie_allreduce_latency_us``, as nccl-tests measure on such machines.
    """
    if tp == 1:
        return 0.0, 0.0
    count = ALL_REDUCES_PER_LAYER * llm.layers
    hidden = llm.hidden_size or (llm.attention_heads or llm.kv_heads) * llm.head_dim
    moved = count * hidden * ACTIVATION_BYTES * 2.0 * (tp - 1) / tp
    if over_pcie(gpu) or gpu.link_gb_s is None:  # (over_pcie covers a GPU without a link)
        return moved / (c.pcie_allreduce_gb_s * GB), count * c.pcie_allreduce_latency_us * 1e-6
    return moved / (gpu.link_gb_s * GB), count * c.allreduce_latency_us * 1e-6
