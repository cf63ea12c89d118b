"""Tests of planner.inputs.catalog: shipped data files load and hold the sourced figures; bad files fail loudly."""

from __future__ import annotations

import re
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
        ("B200", 180, 8.0, 2250, 4500),
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
    ("model_id", "layers", "kv_heads", "head_dim", "context_tokens"),
    [
        ("llama-3.1-8b", 32, 8, 128, 131072),
        ("llama-3.3-70b", 80, 8, 128, 131072),
        ("mixtral-8x7b", 32, 8, 128, 32768),
        ("qwen2.5-32b", 64, 8, 128, 32768),
        ("llama-3.1-405b", 126, 8, 128, 131072),
    ],
)
def test_llm_architecture_numbers(
    model_id: str, layers: int, kv_heads: int, head_dim: int, context_tokens: int
) -> None:
    llm = catalog.load_llms()[model_id]
    assert (llm.layers, llm.kv_heads, llm.head_dim, llm.context_tokens) == (
        layers,
        kv_heads,
        head_dim,
        context_tokens,
    )


def test_mixtral_uses_fewer_parameters_per_token_than_it_has() -> None:
    mixtral = catalog.load_llms()["mixtral-8x7b"]
    assert mixtral.active_params_b < mixtral.params_b
    assert (mixtral.params_b, mixtral.active_params_b) == (46.7, 12.9)


def test_dense_models_use_all_their_parameters() -> None:
    for llm in catalog.load_llms().values():
        if not llm.id.startswith("mixtral"):
            assert llm.active_params_b == llm.params_b


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
