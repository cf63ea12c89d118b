"""``planner prices api``: show managed-API prices, check an API price list file, save it, list, export, delete.

An API price list has the columns of data/api_prices.csv (one row per model behind one provider's API, prices in
USD per million tokens). An assessment chooses a saved one in ``sourcing.api_price_list`` and an API of it in
``sourcing.api``. ``show`` prints the API rows (the built-in ones, or a saved list's) with the cost of a million
output tokens of a workload through each API and self-hosted. The database is DATABASE_URL's (default
var/planner.db). Exit codes: 0 success, 1 an invalid file or name (every problem printed, one per line), 2 usage
errors.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy import Engine

from planner import history, store
from planner.errors import PlannerError
from planner.inputs.api_catalog import load_api_prices
from planner.inputs.api_price_files import API_LIST, ApiPriceList, api_prices_csv, parse_api_price_list
from planner.inputs.files import load_presets, parse_assessment, read_limited
from planner.inputs.limits import MAX_ASSESSMENT_FILE_BYTES
from planner.inputs.price_files import PriceListError, read_price_file
from planner.present.api_prices import api_price_rows, self_hosted_costs
from planner.store import api_price_lists

T = TypeVar("T")

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)

FileArgument = Annotated[Path, typer.Argument(help="CSV with the columns of data/api_prices.csv.", exists=True,
                                               dir_okay=False, readable=True)]
NameArgument = Annotated[str, typer.Argument(help="Name of the saved API price list.")]
DEFAULT_WORKLOAD = "blank"  # the preset whose workload ``show`` prices when given no assessment
SHOW_COLUMNS = {  # column heading -> key of planner.present.api_prices.api_price_rows
    "id": "id", "provider": "provider", "model": "model", "serves": "serves", "in $/1M": "input_usd_per_m",
    "cached $/1M": "cached_input_usd_per_m", "out $/1M": "output_usd_per_m", "batch off %": "batch_discount_pct",
    "API $/1M output": "api_usd_per_m_output", "self-hosted $/1M output": "self_hosted_usd_per_m_output",
    "rate limit at tier": "rate_limit", "TTFT ms": "ttft_ms", "output tok/s": "output_tokens_per_s",
    "SLA %": "sla_pct", "as of": "as_of",
}


def fail(message: str) -> typer.Exit:
    """Print a message on standard error; the exit (code 1) for the caller to raise."""
    typer.echo(message, err=True)
    return typer.Exit(code=1)


def from_store(call: Callable[[Engine], T]) -> T:
    """``call(engine)`` on DATABASE_URL's database; a PlannerError is printed and exits 1."""
    try:
        return call(store.get_engine())
    except PlannerError as exc:
        raise fail(str(exc)) from exc


def refuse(file: Path, exc: PriceListError, what: str) -> typer.Exit:
    """Print every problem of a refused file, prefixed with its name; the exit (code 1) for the caller to raise."""
    typer.echo(f"{file}: {len(exc.problems)} problem(s); the {what} is not valid:", err=True)
    for problem in exc.problems:
        typer.echo(f"  {problem}", err=True)
    return typer.Exit(code=1)


def _parse(file: Path) -> ApiPriceList:
    try:
        return parse_api_price_list(read_price_file(file, API_LIST, what=API_LIST))
    except PriceListError as exc:
        raise refuse(file, exc, API_LIST) from exc


def _describe(api_list: ApiPriceList) -> str:
    providers = sorted({a.provider for a in api_list.apis})
    return f"{len(api_list.apis)} API row(s); providers: {', '.join(providers)}"


@app.command("validate")
def validate(file: FileArgument) -> None:
    """Check an API price list file; print every problem (exit 1) or a one-line summary (exit 0)."""
    typer.echo(f"{file}: valid, {_describe(_parse(file))}")


@app.command("import")
def import_(
    file: FileArgument,
    name: Annotated[str, typer.Option("--name", help="Name to save the list under.")],
    replace: Annotated[bool, typer.Option("--replace", help="Replace a saved API list of the same name.")] = False,
) -> None:
    """Validate an API price list file and save it in the database under NAME."""
    api_list = _parse(file)
    summary = from_store(partial(api_price_lists.save_api_price_list, name=name, api_list=api_list, replace=replace))
    typer.echo(f"Saved API price list '{summary.name}': {_describe(api_list)}. Choose it in an assessment's "
               "sourcing.api_price_list field or on the Assess page.")


@app.command("list")
def list_() -> None:
    """The saved API price lists: name, rows, providers and the oldest price date."""
    summaries = from_store(api_price_lists.list_api_price_lists)
    if not summaries:
        typer.echo("No saved API price lists. Add one with: planner prices api import FILE --name NAME")
    for s in summaries:
        typer.echo(f"{s.name}\t{s.api_count} rows\t{', '.join(s.providers)}\toldest price {s.oldest_as_of}\t"
                   f"saved {s.updated_at:%Y-%m-%d %H:%M} UTC")


@app.command("export")
def export(
    name: NameArgument,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).",
                                                dir_okay=False)] = None,
) -> None:
    """Write a saved API price list as CSV in the columns of data/api_prices.csv (importable again)."""
    text = api_prices_csv(from_store(partial(api_price_lists.load_api_price_list, name=name)).apis)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise fail(f"{output} cannot be written: {exc.strerror or exc}.") from exc
    typer.echo(f"Wrote API price list '{name}' to {output}.", err=True)


@app.command("delete")
def delete(name: NameArgument) -> None:
    """Delete a saved API price list (assessments that name it then need another list)."""
    from_store(partial(api_price_lists.delete_api_price_list, name=name))
    typer.echo(f"Deleted API price list '{name}'.")


def _cell(value: object) -> str:
    if value is None or value == "":
        return "-"
    return f"{value:.4g}" if isinstance(value, float) else str(value)


@app.command("show")
def show(
    name: Annotated[str | None, typer.Argument(help="A saved API price list (default: data/api_prices.csv).")] = None,
    assessment_file: Annotated[Path | None, typer.Option(
        "--assessment", help="Assessment file (JSON or YAML) whose workload and price list price a million output "
                             f"tokens (default: the {DEFAULT_WORKLOAD} preset with the built-in prices).",
        exists=True, dir_okay=False, readable=True)] = None,
) -> None:
    """The API rows, tab-separated: prices per million tokens, a million output tokens of the workload through the
    API and self-hosted (cheapest instance), rate limit, latency and SLA ('assumption' where not published)."""
    try:
        engine = store.get_engine() if name is not None else None
        apis = (api_price_lists.load_api_price_list(engine, name).apis if engine is not None and name is not None
                else tuple(load_api_prices().values()))
        if assessment_file is None:
            assessment = load_presets()[DEFAULT_WORKLOAD]
        else:
            with assessment_file.open("rb") as handle:
                content = read_limited(handle, label=assessment_file.name, limit_bytes=MAX_ASSESSMENT_FILE_BYTES,
                                       what="an assessment file", size_bytes=assessment_file.stat().st_size)
            assessment = parse_assessment(content, filename=assessment_file.name)
        if assessment.price_list is not None:
            engine = engine or store.get_engine()
        pricing = history.todays_pricing(engine, assessment)
        own = self_hosted_costs(assessment, [a.model_id for a in apis if a.model_id], pricing.instances,
                                pricing.gpus)
        rows = api_price_rows(apis, assessment, today=history.today_utc(), self_hosted=own)
    except PlannerError as exc:
        raise fail(str(exc)) from exc
    w = assessment.workload
    typer.echo(f"# {len(rows)} APIs of {name or 'data/api_prices.csv'}; a million output tokens with "
               f"{w.mean_input_tokens:,} input and {w.mean_output_tokens:,} output tokens a request "
               f"({w.precision.value.upper()}, {w.pricing.value} GPU prices)")
    typer.echo("\t".join(SHOW_COLUMNS))
    for row in rows:
        cells = {**row, "as_of": f"{row['as_of']} (over 6 months)" if row["stale"] else row["as_of"]}
        typer.echo("\t".join(_cell(cells[key]) for key in SHOW_COLUMNS.values()))
