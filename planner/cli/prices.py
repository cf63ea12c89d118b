"""``planner prices``: check a price list file, save it under a name, list and delete saved lists; ``planner
prices api`` does the same for managed-API price lists and shows the API prices (``planner.cli.api_prices``).

A price list has the columns of data/instances.csv; ``--gpus`` adds a file of GPU spec rows (the
columns of data/gpus.csv) for GPU types the catalog lacks. A saved list adds its rows to the built-in
catalog (a row of the same provider, instance and region replaces the catalog's); with
``--replace-catalog`` an evaluation prices only the list's rows. The database is DATABASE_URL's (default
var/planner.db). Exit codes: 0 success, 1 an invalid file or name (every problem printed, one per
line), 2 usage errors.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from planner.cli import api_prices
from planner.cli.api_prices import from_store, refuse
from planner.inputs.price_files import ADD_TO_CATALOG, REPLACE_CATALOG, CatalogMode, PriceList, PriceListError
from planner.store import price_lists

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
app.add_typer(api_prices.app, name="api", help="Managed-API prices: show, validate, import, list, export and delete "
                                               "API price lists (planner/cli/api_prices.py).")

FileArgument = Annotated[Path, typer.Argument(help="CSV with the columns of data/instances.csv.", exists=True,
                                               dir_okay=False, readable=True)]
GpusOption = Annotated[Path | None, typer.Option("--gpus", help="CSV of extra GPU specs (columns of data/gpus.csv).",
                                                exists=True, dir_okay=False, readable=True)]


def _parse(file: Path, gpus: Path | None, catalog_mode: CatalogMode = ADD_TO_CATALOG) -> PriceList:
    """The validated list, or exit 1 after printing every problem prefixed with the file's name."""
    try:
        gpu_bytes = price_lists.read_price_file(gpus, price_lists.GPU_SPECS_LABEL) if gpus else None
        return price_lists.parse_price_list(price_lists.read_price_file(file), gpu_bytes, catalog_mode=catalog_mode)
    except PriceListError as exc:
        raise refuse(file, exc, "price list") from exc


def _describe(price_list: PriceList) -> str:
    providers = sorted({i.provider for i in price_list.instances})
    extra = f" and {len(price_list.gpus)} GPU spec row(s)" if price_list.gpus else ""
    return f"{len(price_list.instances)} instance row(s){extra}; providers: {', '.join(providers)}"


def _mode_words(catalog_mode: CatalogMode) -> str:
    if catalog_mode == REPLACE_CATALOG:
        return "replaces the built-in prices"
    return "adds to the built-in prices"


@app.command("validate")
def validate(file: FileArgument, gpus: GpusOption = None) -> None:
    """Check a price list file; print every problem (exit 1) or a one-line summary (exit 0)."""
    typer.echo(f"{file}: valid, {_describe(_parse(file, gpus))}")


@app.command("import")
def import_(
    file: FileArgument,
    name: Annotated[str, typer.Option("--name", help="Name to save the list under.")],
    gpus: GpusOption = None,
    replace: Annotated[bool, typer.Option("--replace", help="Replace a saved list of the same name.")] = False,
    replace_catalog: Annotated[bool, typer.Option(
        "--replace-catalog", help="Price evaluations with this list's rows only (default: add them to the "
                                  "built-in catalog, a row of the same provider, instance and region replacing "
                                  "its own).")] = False,
) -> None:
    """Validate a price list file and save it in the database under NAME."""
    price_list = _parse(file, gpus, REPLACE_CATALOG if replace_catalog else ADD_TO_CATALOG)
    summary = from_store(partial(price_lists.save_price_list, name=name, price_list=price_list, replace=replace))
    typer.echo(f"Saved price list '{summary.name}': {_describe(price_list)}; {_mode_words(summary.catalog_mode)}. "
               f"Choose it in an assessment's price_list field or on the Results page.")


@app.command("list")
def list_() -> None:
    """The saved price lists: name, rows, providers and the oldest price date."""
    summaries = from_store(price_lists.list_price_lists)
    if not summaries:
        typer.echo("No saved price lists. Add one with: planner prices import FILE --name NAME")
    for s in summaries:
        typer.echo(f"{s.name}\t{s.instance_count} rows\t{s.gpu_count} GPU specs\t{', '.join(s.providers)}\t"
                   f"oldest price {s.oldest_as_of}\tsaved {s.updated_at:%Y-%m-%d %H:%M} UTC\t"
                   f"{_mode_words(s.catalog_mode)}")


@app.command("delete")
def delete(name: Annotated[str, typer.Argument(help="Name of the saved list.")]) -> None:
    """Delete a saved price list (assessments that name it then need another list)."""
    from_store(partial(price_lists.delete_price_list, name=name))
    typer.echo(f"Deleted price list '{name}'.")
