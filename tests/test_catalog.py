"""Tests of planner.inputs.catalog: shipped data files load and hold the sourced figures; bad files fail loudly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.errors import CatalogError
from planner.inputs import catalog
from planner.inputs.models import GpuSpec, InstancePrice, Precision, PricingOption

GPU_HEADER = "gpu,memory_gb,bandwidth_tb_s,bf16_tflops,fp8_tflops,source,as_of"
GPU_ROW_H100 = "H100-SXM,80,3.35,989,1979,NVIDIA H100 datasheet,2026-11"
GPU_ROW_A100 = "A100-80GB,80,2.039,312,,NVIDIA A100 datasheet,2026-11"
INSTANCE_HEADER = (
    "provider,instance,region,gpu,gpu_count,vcpus,on_demand_usd_h,spot_usd_h,committed_usd_h,source,as_of"
)
INSTANCE_ROW = "aws,p5.48xlarge,us-east-1,H100-SXM,8,192,55.04,,,AWS price list,2026-09-24"
LLM_HEADER = "id,name,params_b,active_params_b,layers,kv_heads,head_dim,context_tokens,source,as_of"


def _gpus_csv(*rows: str) -> str:
    return "\n".join([GPU_HEADER, *rows]) + "\n"


def _two_gpus() -> dict[str, GpuSpec]:
    return catalog.read_gpus(_gpus_csv(GPU_ROW_H100, GPU_ROW_A100), name="gpus.csv")


# The shipped files --------------------------------------------------------------------------------


def test_shipped_catalogs_load() -> None:
    assert len(catalog.load_gpus()) >= 10
    assert len(catalog.load_instances()) >= 30
    assert len(catalog.load_llms()) >= 4
    assert len(catalog.load_assumptions()) >= 15


def test_data_dir_holds_the_shipped_files() -> None:
    names = {p.name for p in catalog.data_dir().iterdir()}
    assert {"gpus.csv", "instances.csv", "llms.csv", "assumptions.yaml"} <= names


def test_every_shipped_record_has_source_and_date() -> None:
    records = [
        *catalog.load_gpus().values(),
        *catalog.load_instances(),
        *catalog.load_llms().values(),
        *catalog.load_assumptions().values(),
    ]
    for record in records:
        assert len(record.source) >= 3, record
        assert re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", record.as_of), record


def test_shipped_sources_cite_the_original_not_the_reference_notes() -> None:
    for gpu in catalog.load_gpus().values():
        assert "REFERENCE_DATA" not in gpu.source


@pytest.mark.parametrize(
    ("gpu", "memory_gb", "bandwidth_tb_s", "bf16_tflops", "fp8_tflops"),
    [
        ("H100-SXM", 80, 3.35, 989, 1979),  # dense; the sparse BF16 figure is 1979
        ("H100-PCIE", 80, 2.0, 756, 1513),
        ("H200", 141, 4.8, 989.4, 1978.9),
        ("A100-80GB", 80, 2.039, 312, None),
        ("A100-40GB", 40, 1.555, 312, None),
        ("L40S", 48, 0.864, 362, 733),
        ("L4", 24, 0.3, 121, 242.5),
        ("A10G", 24, 0.6, 70, None),
        ("MI300X", 192, 5.3, 1307.4, 2614.9),
        ("MI325X", 256, 6.0, 1307.4, 2614.9),
        ("MI355X", 288, 8.0, 2516.6, 5033.2),
        ("B200", 180, 8.0, 2250, 4500),
        ("GB200", 186, 8.0, 2500, 5000),  # per GPU of an NVL72 rack; sparse FP8 is 10,000
    ],
)
def test_gpu_figures_are_the_dense_datasheet_values(
    gpu: str, memory_gb: float, bandwidth_tb_s: float, bf16_tflops: float, fp8_tflops: float | None
) -> None:
    spec = catalog.load_gpus()[gpu]
    assert spec.memory_gb == memory_gb
    assert spec.bandwidth_tb_s == pytest.approx(bandwidth_tb_s)
    assert spec.bf16_tflops == pytest.approx(bf16_tflops)
    assert spec.fp8_tflops == (pytest.approx(fp8_tflops) if fp8_tflops else None)


def test_h100_is_not_the_sparse_figure() -> None:
    h100 = catalog.load_gpus()["H100-SXM"]
    assert h100.peak_flops(Precision.BF16) == pytest.approx(989e12)
    assert h100.bf16_tflops != 1979


@pytest.mark.parametrize(
    ("model_id", "config"),
    [  # layers, hidden size, attention heads, KV heads, head dim, experts, active experts, context
        ("llama-3.1-8b", (32, 4096, 32, 8, 128, 1, 1, 131072)),
        ("llama-3.3-70b", (80, 8192, 64, 8, 128, 1, 1, 131072)),
        ("mixtral-8x7b", (32, 4096, 32, 8, 128, 8, 2, 32768)),
        ("qwen2.5-32b", (64, 5120, 40, 8, 128, 1, 1, 32768)),
        ("llama-3.1-405b", (126, 16384, 128, 8, 128, 1, 1, 131072)),
        ("deepseek-v3", (61, 7168, 128, 128, 128, 256, 8, 131072)),
        ("deepseek-r1", (61, 7168, 128, 128, 128, 256, 8, 131072)),
        ("qwen3-8b", (36, 4096, 32, 8, 128, 1, 1, 32768)),
        ("qwen3-32b", (64, 5120, 64, 8, 128, 1, 1, 32768)),
        ("qwen3-30b-a3b", (48, 2048, 32, 4, 128, 128, 8, 32768)),
        ("qwen3-235b-a22b", (94, 4096, 64, 4, 128, 128, 8, 32768)),
        ("gpt-oss-20b", (24, 2880, 64, 8, 64, 32, 4, 131072)),
        ("gpt-oss-120b", (36, 2880, 64, 8, 64, 128, 4, 131072)),
        ("llama-4-scout", (48, 5120, 40, 8, 128, 16, 1, 10485760)),
        ("llama-4-maverick", (48, 5120, 40, 8, 128, 128, 1, 1048576)),
        ("mixtral-8x22b", (56, 6144, 48, 8, 128, 8, 2, 65536)),
        ("llama-2-7b", (32, 4096, 32, 32, 128, 1, 1, 4096)),
        ("llama-2-13b", (40, 5120, 40, 40, 128, 1, 1, 4096)),
        ("llama-2-70b", (80, 8192, 64, 8, 128, 1, 1, 4096)),
    ],
)
def test_llm_architecture_numbers(model_id: str, config: tuple[int, ...]) -> None:
    llm = catalog.load_llms()[model_id]
    assert (llm.layers, llm.hidden_size, llm.attention_heads, llm.kv_heads, llm.head_dim, llm.experts,
            llm.active_experts, llm.context_tokens) == config


def test_mixtral_uses_fewer_parameters_per_token_than_it_has() -> None:
    mixtral = catalog.load_llms()["mixtral-8x7b"]
    assert mixtral.active_params_b < mixtral.params_b
    assert (mixtral.params_b, mixtral.active_params_b) == (46.7, 12.9)


def test_dense_models_use_all_their_parameters_and_moe_models_fewer() -> None:
    for llm in catalog.load_llms().values():
        if llm.experts == 1:
            assert llm.active_params_b == llm.params_b, llm.id
        else:
            assert llm.active_params_b < llm.params_b / 2, llm.id


def test_presets_refer_to_models_in_the_catalog() -> None:
    llms = catalog.load_llms()
    for preset in (catalog.data_dir() / "presets").glob("*.yaml"):
        match = re.search(r"model_id:\s*(\S+)", preset.read_text())
        if match:
            assert match.group(1) in llms, preset.name


@pytest.mark.parametrize(
    ("provider", "instance", "gpu", "gpu_count", "on_demand_usd_h"),
    [
        ("aws", "p5.48xlarge", "H100-SXM", 8, 55.04),
        ("aws", "p4d.24xlarge", "A100-40GB", 8, 21.9576),
        ("aws", "g5.xlarge", "A10G", 1, 1.006),
        ("gcp", "a3-highgpu-8g", "H100-SXM", 8, 88.49),
        ("azure", "Standard_ND96isr_H100_v5", "H100-SXM", 8, 98.32),
        ("lambda", "gpu_8x_h100_sxm5", "H100-SXM", 8, 3.99 * 8),  # per-GPU price x GPU count
        ("lambda", "gpu_8x_b200_sxm6", "B200", 8, 6.69 * 8),
        ("coreweave", "hgx-h100-8x", "H100-SXM", 8, 49.24),
    ],
)
def test_instance_prices(
    provider: str, instance: str, gpu: str, gpu_count: int, on_demand_usd_h: float
) -> None:
    rows = [i for i in catalog.load_instances() if (i.provider, i.instance) == (provider, instance)]
    assert len(rows) == 1
    row = rows[0]
    assert (row.gpu, row.gpu_count) == (gpu, gpu_count)
    assert row.on_demand_usd_h == pytest.approx(on_demand_usd_h)


def test_committed_and_spot_prices_are_below_on_demand() -> None:
    for row in catalog.load_instances():
        for option in (PricingOption.SPOT, PricingOption.COMMITTED):
            price = row.price_usd_h(option)
            if price is not None:
                assert price < row.on_demand_usd_h, (row.instance, option)


def test_per_gpu_clouds_say_how_the_instance_price_was_computed() -> None:
    for row in catalog.load_instances():
        if row.provider in {"lambda", "runpod"}:
            assert f"/GPU-h x {row.gpu_count}" in row.source, row.instance


def test_every_shipped_instance_gpu_is_in_the_gpu_catalog() -> None:
    gpus = catalog.load_gpus()
    assert {i.gpu for i in catalog.load_instances()} <= set(gpus)


def test_cached_catalogs_cannot_be_modified() -> None:
    with pytest.raises(TypeError):
        catalog.load_gpus()["X"] = catalog.load_gpus()["H100-SXM"]  # type: ignore[index]


# Assumptions --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("hours.per_month", 730),
        ("network.hop_median_ms", 0.5),
        ("mesh.sidecar_vcpu_per_1000_rps", 0.20),
        ("cpu.vcpu_hour_usd", 0.2016 / 4),  # m7i.xlarge price / its 4 vCPUs
        ("platform.k8s_control_plane_usd_month", 0.10 * 730),
    ],
)
def test_sourced_assumption_values(key: str, value: float) -> None:
    item = catalog.load_assumptions()[key]
    assert item.value == pytest.approx(value)
    assert item.kind == "sourced"


def test_pure_assumptions_are_labelled() -> None:
    for item in catalog.load_assumptions().values():
        if item.kind == "assumption":
            assert item.source.startswith("assumption:"), item.key


def test_needed_assumption_keys_exist() -> None:
    keys = set(catalog.load_assumptions())
    assert {
        "network.hop_sigma",
        "mesh.enabled",
        "mesh.per_hop_ms",
        "cpu.target_utilisation",
        "platform.observability_usd_per_host_month",
        "platform.tracing_usd_per_million_spans",
        "platform.ci_cd_usd_month_per_service",
        "people.loaded_cost_usd_month",
        "people.ops_fte_per_service",
        "people.gap_fte_multiplier",
        "gpu.min_replicas_for_99_9",
    } <= keys


def test_hop_sigma_gives_a_p99_of_a_few_ms() -> None:
    items = catalog.load_assumptions()
    median_ms, sigma = items["network.hop_median_ms"].value, items["network.hop_sigma"].value
    p99_ms = median_ms * 2.718281828 ** (2.3263 * sigma)  # lognormal quantile, z(0.99) = 2.3263
    assert 1.0 < p99_ms < 5.0


ASSUMPTION_OK = """
- key: a.b
  value: 1.5
  unit: ms
  description: A test constant.
  kind: sourced
  source: somewhere.example
  as_of: "2026-11"
"""


def test_assumptions_parse() -> None:
    items = catalog.read_assumptions(ASSUMPTION_OK, name="assumptions.yaml")
    assert items["a.b"].value == 1.5


@pytest.mark.parametrize(
    ("text", "pattern"),
    [
        (ASSUMPTION_OK.replace("value: 1.5", "value: fast"), r"entry 1 \(a\.b\), field value: "),
        (ASSUMPTION_OK.replace("  unit: ms\n", ""), r"entry 1 \(a\.b\), field unit: Field required"),
        (ASSUMPTION_OK.replace("kind: sourced", "kind: assumption"), r"entry 1 \(a\.b\): .*assumption:"),
        (ASSUMPTION_OK.replace("key: a.b", "key: nodots"), r"entry 1 \(nodots\), field key"),
        (ASSUMPTION_OK + ASSUMPTION_OK, r"entry 2 \(a\.b\): duplicate key a\.b"),
        ("key: a.b\n", r"expected a non-empty list"),
        ("- [1, 2\n", r"not valid YAML"),
        ("- just text\n", r"entry 1: expected a mapping"),
    ],
)
def test_bad_assumptions_fail_loudly(text: str, pattern: str) -> None:
    with pytest.raises(CatalogError, match=pattern):
        catalog.read_assumptions(text, name="assumptions.yaml")


# Malformed CSV files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "pattern"),
    [
        ([GPU_ROW_H100.replace("3.35", "-3.35")], r"gpus\.csv row 1, field bandwidth_tb_s: .*greater than 0"),
        ([GPU_ROW_A100, GPU_ROW_H100.replace("989", "lots")], r"row 2, field bf16_tflops: .*valid number"),
        ([GPU_ROW_H100, GPU_ROW_A100, GPU_ROW_H100], r"row 3: duplicate of row 1 \(H100-SXM\)"),
        ([GPU_ROW_H100.replace("2026-11", "Nov 2026")], r"row 1, field as_of: "),
        ([GPU_ROW_H100.replace("NVIDIA H100 datasheet", "")], r"row 1, field source: Field required"),
        ([GPU_ROW_H100 + ",extra"], r"row 1: has 8 cells but the header has 7 columns"),
    ],
)
def test_malformed_gpu_rows_name_row_and_field(tmp_path: Path, rows: list[str], pattern: str) -> None:
    path = tmp_path / "gpus.csv"
    path.write_text(_gpus_csv(*rows))
    with pytest.raises(CatalogError, match=pattern):
        catalog.read_gpus(path, name="gpus.csv")


def test_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "gpus.csv"
    path.write_text(GPU_HEADER.replace(",bandwidth_tb_s", "") + "\nH100-SXM,80,989,1979,NVIDIA,2026-11\n")
    with pytest.raises(CatalogError, match=r"gpus\.csv: missing column\(s\) bandwidth_tb_s"):
        catalog.read_gpus(path, name="gpus.csv")


def test_optional_column_may_be_left_out() -> None:
    text = GPU_HEADER.replace(",fp8_tflops", "") + "\nA100-80GB,80,2.039,312,NVIDIA A100 datasheet,2026-11\n"
    gpus = catalog.read_gpus(text, name="gpus.csv")
    assert gpus["A100-80GB"].fp8_tflops is None


def test_unknown_column_is_named() -> None:
    text = GPU_HEADER + ",notes\n" + GPU_ROW_H100 + ",fast\n"
    with pytest.raises(CatalogError, match=r"unknown column\(s\) notes"):
        catalog.read_gpus(text, name="gpus.csv")


@pytest.mark.parametrize("text", ["", "\n\n"])
def test_empty_file_is_an_error(text: str) -> None:
    with pytest.raises(CatalogError, match=r"gpus\.csv: the file is empty"):
        catalog.read_gpus(text, name="gpus.csv")


def test_empty_cells_mean_none_and_blank_lines_are_skipped() -> None:
    gpus = catalog.read_gpus(_gpus_csv(GPU_ROW_A100, "", ",,,,,,"), name="gpus.csv")
    assert gpus["A100-80GB"].fp8_tflops is None


def test_every_bad_row_is_reported_at_once() -> None:
    text = _gpus_csv(GPU_ROW_H100.replace("80", "-1", 1), GPU_ROW_A100.replace("312", "x"))
    with pytest.raises(CatalogError) as info:
        catalog.read_gpus(text, name="gpus.csv")
    assert "row 1, field memory_gb" in str(info.value)
    assert "row 2, field bf16_tflops" in str(info.value)


def test_uploaded_bytes_with_a_byte_order_mark_are_read() -> None:
    data = ("\ufeff" + _gpus_csv(GPU_ROW_H100)).encode("utf-8")
    assert set(catalog.read_gpus(data, name="upload.csv")) == {"H100-SXM"}


def test_non_utf8_upload_is_an_error() -> None:
    with pytest.raises(CatalogError, match=r"upload\.csv: the file is not UTF-8"):
        catalog.read_csv_records("é".encode("latin-1"), GpuSpec, name="upload.csv")


def test_unreadable_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"missing\.csv: cannot read the file"):
        catalog.read_csv_records(tmp_path / "nope.csv", GpuSpec, name="missing.csv")


def test_record_rule_errors_name_the_row() -> None:
    text = f"{LLM_HEADER}\nmoe,MoE,10,20,32,8,128,32768,huggingface.co/x config.json,2024-01\n"
    with pytest.raises(CatalogError, match=r"llms\.csv row 1: active parameters cannot exceed total"):
        catalog.read_llms(text, name="llms.csv")


def test_generic_reader_rejects_identical_rows_without_a_key() -> None:
    text = f"{INSTANCE_HEADER}\n{INSTANCE_ROW}\n{INSTANCE_ROW}\n"
    with pytest.raises(CatalogError, match=r"prices\.csv row 2: duplicate of row 1"):
        catalog.read_csv_records(text, InstancePrice, name="prices.csv")


def test_generic_reader_returns_validated_records() -> None:
    text = f"{INSTANCE_HEADER}\n{INSTANCE_ROW}\n"
    (row,) = catalog.read_csv_records(text, InstancePrice, name="prices.csv")
    assert (row.gpu_count, row.spot_usd_h, row.committed_usd_h) == (8, None, None)


# Cross-file checks --------------------------------------------------------------------------------


def test_instances_with_known_gpus_load() -> None:
    rows = catalog.read_instances(f"{INSTANCE_HEADER}\n{INSTANCE_ROW}\n", _two_gpus(), name="instances.csv")
    assert rows[0].instance == "p5.48xlarge"


def test_instance_with_unknown_gpu_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "instances.csv"
    unknown_gpu = INSTANCE_ROW.replace("p5.", "p9.").replace("H100-SXM", "H999")
    path.write_text(f"{INSTANCE_HEADER}\n{INSTANCE_ROW}\n{unknown_gpu}\n")
    with pytest.raises(CatalogError, match=r"instances\.csv row 2, field gpu: unknown GPU 'H999'"):
        catalog.read_instances(path, _two_gpus(), name="instances.csv")


def test_duplicate_instance_key_is_an_error() -> None:
    second = INSTANCE_ROW.replace("55.04", "60")  # same provider, instance and region, other price
    text = f"{INSTANCE_HEADER}\n{INSTANCE_ROW}\n{second}\n"
    with pytest.raises(CatalogError, match=r"row 2: duplicate of row 1 \(aws, p5\.48xlarge, us-east-1\)"):
        catalog.read_instances(text, _two_gpus(), name="instances.csv")


def test_same_instance_in_another_region_is_allowed() -> None:
    other_region = INSTANCE_ROW.replace("us-east-1", "us-west-2")
    rows = catalog.read_instances(
        f"{INSTANCE_HEADER}\n{INSTANCE_ROW}\n{other_region}\n", _two_gpus(), name="instances.csv"
    )
    assert len(rows) == 2


def test_planner_does_not_import_streamlit() -> None:
    source = Path(catalog.__file__).read_text()
    assert "streamlit" not in source


# Serving model v2 catalog: hand calculations from config.json numbers -------------------------------

BF16_BYTES = 2


@pytest.mark.parametrize(
    ("model_id", "kv_bytes_per_token"),
    [  # 2 (K and V) x layers x KV heads x head dim x 2 bytes; MLA: layers x (kv_lora_rank + rope dim) x 2 bytes
        ("deepseek-v3", 61 * (512 + 64) * BF16_BYTES),
        ("deepseek-r1", 61 * (512 + 64) * BF16_BYTES),
        ("qwen3-8b", 2 * 36 * 8 * 128 * BF16_BYTES),
        ("qwen3-32b", 2 * 64 * 8 * 128 * BF16_BYTES),
        ("qwen3-30b-a3b", 2 * 48 * 4 * 128 * BF16_BYTES),
        ("qwen3-235b-a22b", 2 * 94 * 4 * 128 * BF16_BYTES),
        ("gpt-oss-20b", 2 * 24 * 8 * 64 * BF16_BYTES),
        ("gpt-oss-120b", 2 * 36 * 8 * 64 * BF16_BYTES),
        ("llama-4-scout", 2 * 48 * 8 * 128 * BF16_BYTES),
        ("llama-4-maverick", 2 * 48 * 8 * 128 * BF16_BYTES),
        ("mixtral-8x22b", 2 * 56 * 8 * 128 * BF16_BYTES),
        ("llama-2-7b", 2 * 32 * 32 * 128 * BF16_BYTES),
        ("llama-2-13b", 2 * 40 * 40 * 128 * BF16_BYTES),
        ("llama-2-70b", 2 * 80 * 8 * 128 * BF16_BYTES),
    ],
)
def test_kv_bytes_per_token_of_every_new_model(model_id: str, kv_bytes_per_token: int) -> None:
    assert catalog.load_llms()[model_id].kv_values_per_token() * BF16_BYTES == kv_bytes_per_token


def test_mla_caches_about_a_fiftieth_of_what_its_heads_would() -> None:
    deepseek = catalog.load_llms()["deepseek-v3"]
    as_if_gqa = 2 * deepseek.layers * deepseek.kv_heads * deepseek.head_dim
    assert as_if_gqa / deepseek.kv_values_per_token() == pytest.approx(2 * 128 * 128 / 576)


def _qwen3_params(*, vocab: int, hidden: int, layers: int, heads: int, kv_heads: int, head_dim: int,
                  ffn: int, experts: int, routed: int) -> float:
    """Parameters of a Qwen3 model (untied embeddings, QK-norm, SwiGLU experts, a router per MoE layer), in
    billions, counting ``routed`` of the ``experts`` (all of them for the total, the active ones per token)."""
    attention = hidden * heads * head_dim * 2 + hidden * kv_heads * head_dim * 2 + 2 * head_dim
    mlp = routed * 3 * hidden * ffn + (hidden * experts if experts > 1 else 0)
    per_layer = attention + mlp + 2 * hidden  # two RMSNorms
    return (layers * per_layer + 2 * vocab * hidden + hidden) / 1e9


def test_parameters_of_a_dense_model_from_its_config() -> None:
    # huggingface.co/Qwen/Qwen3-8B config.json: vocab 151936, intermediate_size 12288, untied embeddings
    qwen = catalog.load_llms()["qwen3-8b"]
    params = _qwen3_params(vocab=151936, hidden=4096, layers=36, heads=32, kv_heads=8, head_dim=128,
                           ffn=12288, experts=1, routed=1)
    assert params == pytest.approx(8.19, abs=0.01)
    assert qwen.params_b == pytest.approx(params, abs=0.05)
    assert qwen.active_params_b == qwen.params_b


def test_parameters_of_an_moe_model_from_its_config() -> None:
    # huggingface.co/Qwen/Qwen3-30B-A3B config.json: vocab 151936, moe_intermediate_size 768, 128 experts, 8 used
    qwen = catalog.load_llms()["qwen3-30b-a3b"]
    shape = {"vocab": 151936, "hidden": 2048, "layers": 48, "heads": 32, "kv_heads": 4, "head_dim": 128,
             "ffn": 768, "experts": 128}
    total = _qwen3_params(**shape, routed=128)
    active = _qwen3_params(**shape, routed=8)
    assert (total, active) == (pytest.approx(30.53, abs=0.01), pytest.approx(3.35, abs=0.01))
    assert qwen.params_b == pytest.approx(total, abs=0.05)
    assert qwen.active_params_b == pytest.approx(active, abs=0.06)


def test_local_attention_layers_cache_at_most_their_window() -> None:
    gpt_oss = catalog.load_llms()["gpt-oss-120b"]  # 18 of 36 layers see only the last 128 tokens
    per_layer_token = 2 * 8 * 64
    expected = 18 * per_layer_token * 10_000 + 18 * per_layer_token * 128
    assert gpt_oss.kv_values_for_sequence(10_000) == expected
    assert gpt_oss.kv_values_for_sequence(100) == gpt_oss.kv_values_per_token() * 100
    llama = catalog.load_llms()["llama-3.1-8b"]
    assert llama.kv_values_for_sequence(5000) == llama.kv_values_per_token() * 5000


# Dense, never sparse: each GPU's BF16 rate at most its vendor's dense datasheet figure -------------------

VENDOR_DENSE_BF16_TFLOPS = {  # the datasheets quote twice these "with sparsity"
    "H100-SXM": 989.4, "H100-PCIE": 756.5, "H200": 989.4, "A100-80GB": 312, "A100-40GB": 312, "L40S": 362.05,
    "L4": 121, "A10G": 125,  # A10G: at most the A10's dense 125 (AWS publishes no tensor rate for its variant)
    "MI300X": 1307.4, "MI325X": 1307.4, "MI355X": 2516.6, "B200": 2250, "GB200": 2500,
}
SPARSE_FACTOR = 2


def test_no_gpu_rate_is_a_sparse_figure() -> None:
    gpus = catalog.load_gpus()
    assert set(gpus) == set(VENDOR_DENSE_BF16_TFLOPS)
    for name, gpu in gpus.items():
        dense = VENDOR_DENSE_BF16_TFLOPS[name]
        assert gpu.bf16_tflops <= dense, name
        assert gpu.bf16_tflops < dense * SPARSE_FACTOR * 0.9, name


ROUNDING = 1.03  # the L40S sheet gives 362.05 BF16 and 733 FP8 TFLOP/s: 2.02x, not 2x


def test_each_halving_of_precision_at_most_doubles_the_rate() -> None:
    for gpu in catalog.load_gpus().values():
        fp8 = gpu.fp8_tflops or gpu.bf16_tflops
        assert fp8 <= 2 * gpu.bf16_tflops * ROUNDING, gpu.gpu
        assert (gpu.fp4_tflops or 0) <= 2 * fp8 * ROUNDING, gpu.gpu
        assert (gpu.int8_tops or 0) <= 2 * gpu.bf16_tflops * ROUNDING, gpu.gpu
        if gpu.fp4_tflops:
            assert gpu.fp8_tflops, f"{gpu.gpu}: FP4 units without FP8 units"


@pytest.mark.parametrize(
    ("gpu", "vendor", "fp4_tflops", "int8_tops"),
    [
        ("H100-SXM", "nvidia", None, 1979),
        ("A100-80GB", "nvidia", None, 624),
        ("L40S", "nvidia", None, 733),
        ("B200", "nvidia", 9000, 4500),
        ("GB200", "nvidia", 10000, 5000),
        ("MI300X", "amd", None, 2614.9),
        ("MI355X", "amd", 10066.4, None),  # MI355X INT8: not sourced
        ("A10G", "nvidia", None, None),
    ],
)
def test_low_precision_rates_and_vendor(gpu: str, vendor: str, fp4_tflops: float | None,
                                        int8_tops: float | None) -> None:
    spec = catalog.load_gpus()[gpu]
    assert (spec.vendor, spec.fp4_tflops, spec.int8_tops) == (vendor, fp4_tflops, int8_tops)


# New columns: optional in a user's file, required in the shipped catalogs ---------------------------------


def test_an_old_format_gpu_spec_file_still_loads() -> None:
    gpus = _two_gpus()
    assert (gpus["H100-SXM"].vendor, gpus["H100-SXM"].fp4_tflops, gpus["H100-SXM"].int8_tops) == (None, None, None)


def test_an_old_format_llm_file_still_loads_as_dense_attention() -> None:
    text = f"{LLM_HEADER}\nm,M,8,8,32,8,128,32768,huggingface.co/x config.json,2024-01\n"
    llm = catalog.read_llms(text, name="llms.csv")["m"]
    assert (llm.experts, llm.active_experts, llm.attention, llm.hidden_size) == (1, 1, "gqa", None)


@pytest.mark.parametrize(
    ("extra_header", "extra_cells", "pattern"),
    [
        (",attention", ",mla", r"row 1: kv_lora_rank and rope_head_dim are given exactly when attention is mla"),
        (",kv_lora_rank,rope_head_dim", ",512,64", r"row 1: kv_lora_rank and rope_head_dim are given exactly"),
        (",experts,active_experts", ",8,9", r"row 1: active experts per token cannot exceed the experts"),
        (",attention_heads", ",12", r"row 1: attention heads \(12\) must be a multiple of the KV heads \(8\)"),
        (",local_attention_layers", ",16", r"row 1: local_attention_layers and local_window_tokens are given together"),
        (",local_attention_layers,local_window_tokens", ",40,128", r"row 1: local attention layers cannot exceed"),
        (",attention", ",mha", r"row 1, field attention: Input should be 'gqa' or 'mla'"),
        (",experts", ",0", r"row 1, field experts: Input should be greater than or equal to 1"),
    ],
)
def test_inconsistent_llm_rows_name_the_row(extra_header: str, extra_cells: str, pattern: str) -> None:
    text = f"{LLM_HEADER}{extra_header}\nm,M,8,8,32,8,128,32768,huggingface.co/x config.json,2024-01{extra_cells}\n"
    with pytest.raises(CatalogError, match=pattern):
        catalog.read_llms(text, name="llms.csv")


@pytest.fixture
def shipped_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of data/ the shipped loaders read instead, with their caches emptied before and after."""
    for name in ("gpus.csv", "llms.csv"):
        (tmp_path / name).write_text((catalog.data_dir() / name).read_text())
    monkeypatch.setattr(catalog, "data_dir", lambda: tmp_path)
    catalog.load_gpus.cache_clear()
    catalog.load_llms.cache_clear()
    yield tmp_path
    catalog.load_gpus.cache_clear()
    catalog.load_llms.cache_clear()


def test_a_shipped_gpu_row_without_a_vendor_is_an_error(shipped_copy: Path) -> None:
    path = shipped_copy / "gpus.csv"
    path.write_text(path.read_text().replace("L4,nvidia,", "L4,,"))
    with pytest.raises(CatalogError, match=r"data/gpus\.csv row 7, field vendor: required in the shipped catalog"):
        catalog.load_gpus()


def test_a_shipped_llm_row_without_its_hidden_size_is_an_error(shipped_copy: Path) -> None:
    path = shipped_copy / "llms.csv"
    path.write_text(path.read_text().replace("qwen3-8b,Qwen3 8B,8.2,8.2,36,4096,", "qwen3-8b,Qwen3 8B,8.2,8.2,36,,"))
    with pytest.raises(CatalogError, match=r"data/llms\.csv row 8, field hidden_size: required in the shipped"):
        catalog.load_llms()


def test_saved_gpu_records_keep_vendor_and_every_rate() -> None:
    """Price lists, snapshots and exports keep a spec whole (migration 0005 gave price_list_gpus the columns)."""
    b200 = catalog.load_gpus()["B200"]
    assert GpuSpec.model_validate(b200.model_dump()) == b200
    assert {"vendor", "fp4_tflops", "int8_tops"} <= set(b200.model_dump())
