"""``planner serving``: what N GPUs of one type serve of one model, at full load or with N closed-loop clients.

    planner serving --model llama-3.1-8b --gpu H100-SXM --gpus 1 --precision fp8 --input 1000 --output 1000
    planner serving ... --concurrency 64 --json

Without ``--concurrency`` the figures are the closed form, every replica at its batch cap; with it, a
closed-loop simulation (``planner.estimate.calculator``). ``--json`` prints one JSON object (keys
``output_tokens_per_s``, ``tp``, ``replicas``, ``batch``, ``ttft_ms`` and ``tpot_ms``, or ``itl_ms`` and
``e2e_ms`` with a concurrency). Exit codes: 0 success, 1 an invalid input or a model that does not fit (one
line per problem, naming the option: an unknown precision too), 2 usage errors (typer's own: a missing option,
a number that is not one).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from enum import StrEnum
from typing import Annotated, TypeVar

import typer

from planner.errors import InputError
from planner.estimate.calculator import serving_point
from planner.inputs.catalog import load_gpus, load_llms
from planner.inputs.models import KvPrecision, Precision
from planner.present.calculator import point_json, point_table
from planner.present.tables import text_lines

EXIT_INVALID = 1
E = TypeVar("E", bound=StrEnum)


def _choice(option: str, value: str | None, kind: type[E]) -> E | None:
    """The enum member a precision option names; an unknown name exits 1 naming the option and the choices."""
    if value is None:
        return None
    try:
        return kind(value.strip().lower())
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        typer.echo(f"--{option}: must be one of {choices}; you entered {value!r}.", err=True)
        raise typer.Exit(EXIT_INVALID) from None


def _catalog_id(value: str, known: Iterable[str]) -> str:
    """The catalog id ``value`` names, matched without regard to case or surrounding spaces (h100-sxm: H100-SXM);
    an unknown name is returned as given, for the calculator to report."""
    wanted = value.strip().casefold()
    return next((k for k in known if k.casefold() == wanted), value)


def serving(
    model: Annotated[str, typer.Option("--model", metavar="ID", help="Model id from data/llms.csv.")],
    gpu: Annotated[str, typer.Option("--gpu", metavar="GPU", help="GPU type from data/gpus.csv.")],
    gpus: Annotated[int, typer.Option("--gpus", metavar="N", help="GPUs to split into replicas.")],
    precision: Annotated[str, typer.Option("--precision", metavar="{bf16,fp8,int8,int4,fp4}",
                                           help="Weight precision (int8, int4: weight-only, as GPTQ and AWQ).")],
    input_tokens: Annotated[int, typer.Option("--input", metavar="TOKENS", help="Prompt tokens per request.")],
    output_tokens: Annotated[int, typer.Option("--output", metavar="TOKENS", help="Output tokens per request.")],
    tp: Annotated[int | None, typer.Option(
        "--tp", metavar="N", help="GPUs per replica (a power of two); default: the split with the most throughput.",
    )] = None,
    kv_precision: Annotated[str | None, typer.Option(
        "--kv-precision", metavar="{bf16,fp8}",
        help="KV-cache precision; default: fp8 beside fp8/fp4 weights, else bf16.")] = None,
    concurrency: Annotated[int | None, typer.Option(
        "--concurrency", metavar="N", help="Closed-loop clients to simulate; default: full load (closed form).",
    )] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object instead of a table.")] = False,
) -> None:
    """Throughput and latency of GPUs serving a model (modelled: calibrated per GPU vendor)."""
    weights, kv = _choice("precision", precision, Precision), _choice("kv-precision", kv_precision, KvPrecision)
    assert weights is not None  # a required option
    try:
        model, gpu = _catalog_id(model, load_llms()), _catalog_id(gpu, load_gpus())
        point = serving_point(model, gpu, gpus, tp, weights, kv, input_tokens, output_tokens, concurrency)
    except InputError as exc:
        for field, sentence in exc.field_errors.items():
            typer.echo(f"--{field}: {sentence}", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    if as_json:
        typer.echo(json.dumps(point_json(point), indent=2))
        return
    typer.echo(f"{model} on {gpus} x {gpu}, {point.precision.value} weights, {point.kv_precision.value} KV cache, "
               f"{input_tokens:,} input / {output_tokens:,} output tokens")
    for line in text_lines(point_table(point)):
        typer.echo(line)
    typer.echo("Modelled figures: the step model's efficiencies are calibrated per GPU vendor "
               "(data/serving_efficiency.csv).")
