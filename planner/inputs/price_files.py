"""Price files: validate an uploaded or edited price list and write its rows back out as CSV.

A price list has the columns of ``data/instances.csv`` (one row per provider, instance and region,
prices in USD per instance-hour) and, optionally, GPU spec rows with the columns of ``data/gpus.csv``
for GPU types the catalog does not know (a spec row for a catalog GPU replaces the catalog's figures
within that list). Its instance rows add to the built-in catalog's by default (a row of the same
provider, instance and region replaces the catalog's) or, when the list says so, replace them all
(``catalog_mode``). Validation reuses the catalog's CSV reader (``planner.inputs.catalog.scan_csv_records``)
and words every problem for the person who typed the file, one sentence per row and column:
``row 7, on_demand_usd_h: must be a positive number (USD per hour), got 'abc'``. Rows are counted from
the first row after the header. A list with any problem is refused as a whole. Nothing here touches the
database: ``planner.store.price_lists`` saves validated lists under a name. What every price file shares (the
size and encoding checks of ``upload_text``, ``checked_rows``' sentences and dates, ``PriceListError``) also
validates API price lists (``planner.inputs.api_price_files``).
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from planner.errors import InputError
from planner.inputs.catalog import CsvProblem, load_gpus, load_instances, scan_csv_records
from planner.inputs.limits import MAX_PRICE_LIST_BYTES, NAME_MAX_CHARS
from planner.inputs.models import GpuSpec, InstancePrice, PricingOption, Sourced
from planner.inputs.text import check_text

S = TypeVar("S", bound=Sourced)

MAX_PRICE_ROWS = 5_000  # instance rows per list; the shipped catalog has 28
MAX_REPORTED_PROBLEMS = 30  # more than this and the file is wrong as a whole: show the first ones
# Plausible on-demand, spot or committed price of one GPU for one hour. The cheapest rental of the
# catalog is 0.52 $/GPU-h (L4, committed) and the dearest 14.24 (B200, AWS on-demand); outside these
# bounds a figure is almost surely in another unit: per second or per month, or in cents.
MIN_USD_PER_GPU_HOUR = 0.02
MAX_USD_PER_GPU_HOUR = 100.0
STALE_AFTER_DAYS = 183  # a price older than about six months is flagged: cloud prices move (AWS cut P5 by 45 %)

# Column order of data/instances.csv and data/gpus.csv (files may order them differently).
INSTANCE_COLUMNS = ("provider", "instance", "region", "gpu", "gpu_count", "vcpus", "on_demand_usd_h", "spot_usd_h",
                    "committed_usd_h", "tier", "source", "as_of")  # tier may be left out: "production"
GPU_COLUMNS = ("gpu", "vendor", "memory_gb", "bandwidth_tb_s", "bf16_tflops", "fp8_tflops", "fp4_tflops", "int8_tops",
               "link_gb_s", "source", "as_of")  # as data/gpus.csv; vendor and the figures after bf16_tflops may be
# left out
PRICE_COLUMNS = ("on_demand_usd_h", "spot_usd_h", "committed_usd_h")
UNITS = {
    "on_demand_usd_h": "USD per hour", "spot_usd_h": "USD per hour", "committed_usd_h": "USD per hour",
    "gpu_count": "GPUs per instance", "vcpus": "vCPUs per instance", "memory_gb": "GB",
    "bandwidth_tb_s": "TB/s", "bf16_tflops": "dense TFLOP/s", "fp8_tflops": "dense TFLOP/s",
    # API price lists (planner.inputs.api_price_files)
    "input_usd_per_m": "USD per million tokens", "cached_input_usd_per_m": "USD per million tokens",
    "output_usd_per_m": "USD per million tokens", "batch_discount": "share off the price",
    "requests_per_min": "requests per minute", "tokens_per_min": "tokens per minute", "ttft_ms": "ms",
    "output_tokens_per_s": "tokens per second", "sla_pct": "percent",
}
WHOLE_NUMBER_COLUMNS = ("gpu_count", "vcpus")
SHARE_COLUMNS = ("batch_discount",)  # shares strictly between 0 and 1
ID_COLUMNS = ("id", "model_id")  # ids of API price lists and of the model catalog
NUMBER_ERRORS = {"float_parsing", "float_type", "int_parsing", "int_type", "int_from_float", "finite_number",
                 "greater_than", "greater_than_equal", "less_than", "less_than_equal"}
UNIT_MARKS = re.compile(r"[$€£¥%]|usd|eur|/\s*\d*\s*[hmk]|per|gb|tb|tflop|gpu|cpu|tok|ms$|rpm|tpm",
                        re.IGNORECASE)
DECIMAL_COMMA = re.compile(r"^-?\d+,\d+$")
GPU_SPECS_LABEL = "GPU specs"
# How a saved list meets the built-in catalog (issue 15: a 2-row list silently replaced the whole catalog).
CatalogMode = Literal["add", "replace"]
ADD_TO_CATALOG: CatalogMode = "add"  # the list's rows overlay the catalog (same provider, instance, region: replaced)
REPLACE_CATALOG: CatalogMode = "replace"  # only the list's rows are priced


class PriceListError(InputError):
    """A price list has problems; ``problems`` holds one sentence per row and column at fault.

    ``what`` names the kind of list in the message ("price list", "API price list").
    """

    def __init__(self, problems: Sequence[str], field: str = "file", what: str = "price list") -> None:
        shown = list(problems[:MAX_REPORTED_PROBLEMS])
        if len(problems) > MAX_REPORTED_PROBLEMS:
            shown.append(f"... and {len(problems) - MAX_REPORTED_PROBLEMS} more problems")
        count = len(problems)
        super().__init__(
            f"The {what} has {count} problem{'s' if count != 1 else ''}; nothing was saved. "
            f"First: {problems[0]}",
            {field: "\n".join(shown)},
        )
        self.problems = shown


class PriceList(BaseModel):
    """A validated price list: instance prices and the GPU specs it adds to (or replaces in) the catalog."""

    model_config = ConfigDict(frozen=True)

    instances: tuple[InstancePrice, ...]
    gpus: tuple[GpuSpec, ...] = ()
    catalog_mode: CatalogMode = ADD_TO_CATALOG

    def evaluation_instances(self) -> tuple[InstancePrice, ...]:
        """The rows an evaluation with this list prices: the list's own rows, on top of the catalog's when it adds.

        Adding, a list row replaces the catalog row of the same provider, instance and region; the catalog's
        other rows stay.
        """
        if self.catalog_mode == REPLACE_CATALOG:
            return self.instances
        own = {(i.provider, i.instance, i.region) for i in self.instances}
        return (*self.instances, *(i for i in load_instances() if (i.provider, i.instance, i.region) not in own))

    def gpu_specs(self) -> dict[str, GpuSpec]:
        """The specs an evaluation with this list uses: the catalog's, with the list's own rows on top."""
        return {**load_gpus(), **{g.gpu: g for g in self.gpus}}


# Validation ------------------------------------------------------------------------------------------


def _check_size(label: str, size_bytes: int, what: str) -> None:
    if size_bytes > MAX_PRICE_LIST_BYTES:
        raise PriceListError([f"{label}: the file is {size_bytes / 1024 / 1024:.1f} MB; the limit is "
                              f"{MAX_PRICE_LIST_BYTES // (1024 * 1024)} MB. Split it or leave out unused rows."],
                             what=what)


def read_price_file(path: Path, label: str = "price list", *, what: str = "price list") -> bytes:
    """The bytes of a price list file, refused (PriceListError) before reading when it is over the size limit."""
    try:
        _check_size(label, path.stat().st_size, what)
        with path.open("rb") as handle:
            data = handle.read(MAX_PRICE_LIST_BYTES + 1)
    except OSError as exc:
        raise PriceListError([f"{label}: cannot read {path.name} ({exc.strerror or exc})"], what=what) from exc
    _check_size(label, len(data), what)  # the file grew while being read
    return data


def upload_text(source: bytes | str, label: str, *, what: str = "price list") -> str:
    """The text of an uploaded file: at most MAX_PRICE_LIST_BYTES, UTF-8 (a BOM is fine); else PriceListError."""
    raw = source.encode("utf-8") if isinstance(source, str) else source
    _check_size(label, len(raw), what)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PriceListError([f"{label}: the file is not UTF-8 text (byte {exc.start + 1} is not valid UTF-8). "
                              "Save it as 'CSV UTF-8' and upload it again."], what=what) from exc


def shown(value: str | None) -> str:
    """A cell's text as a message quotes it: repr, cut to 40 characters."""
    return repr(value if value is None or len(value) <= 40 else value[:39] + "…")


def _bounds(column: str) -> tuple[float, float]:
    """The (ge, le) bounds of a whole-number column of InstancePrice."""
    low, high = 1.0, math.inf
    for rule in InstancePrice.model_fields[column].metadata:
        low = float(getattr(rule, "ge", None) or low)
        high = float(getattr(rule, "le", None) or high)
    return low, high


def _number_sentence(problem: CsvProblem) -> str:
    column, value, ctx = problem.column or "", problem.value, problem.context
    unit = UNITS.get(column, "")
    got = f", got {shown(value)}"
    if column in SHARE_COLUMNS:
        return f"must be a share between 0 and 1 written without a unit (0.5: half price){got}"
    if value is not None and UNIT_MARKS.search(value):
        return f"must be a plain number in {unit}, without a currency sign or unit{got}"
    if value is not None and DECIMAL_COMMA.match(value):
        return f"must use a dot as the decimal separator{got}"
    if column in WHOLE_NUMBER_COLUMNS:
        low, high = _bounds(column)
        return f"must be a whole number from {low:g} to {high:g} ({unit}){got}"
    if problem.kind == "less_than_equal":
        return f"must be at most {ctx['le']:,g} {unit}{got}"
    if problem.kind == "less_than":
        return f"must be below {ctx['lt']:,g} {unit}{got}"
    if problem.kind == "greater_than_equal" and ctx.get("ge"):  # a floor above zero (an SLA of at least 90 %)
        return f"must be at least {ctx['ge']:,g} {unit}{got}"
    return f"must be a positive number ({unit}){got}" if unit else f"must be a positive number{got}"


def _sentence(problem: CsvProblem, expected: Sequence[str]) -> str:
    """A CSV problem in the words of the person who made the file."""
    if problem.kind == "missing_columns":  # named in the order of the header they belong in
        missing = sorted(problem.context["columns"], key=lambda c: expected.index(c) if c in expected else 0)
        return f"missing column(s) {', '.join(missing)}; the header must be: {','.join(expected)}"
    if problem.kind == "unknown_columns":
        names = ", ".join(c or "(blank)" for c in problem.context["columns"])
        return f"unknown column(s) {names}; the columns are: {','.join(expected)}"
    if problem.kind == "duplicate":
        return f"{problem.message}; each row must be listed once"
    if problem.kind in NUMBER_ERRORS and problem.column in UNITS:
        return _number_sentence(problem)
    if problem.kind == "missing":
        return "is empty; every row needs one"
    if problem.kind == "string_too_short":
        return f"is too short (at least {problem.context.get('min_length', 1)} characters), got {shown(problem.value)}"
    if problem.kind == "string_too_long":
        return f"is too long (at most {problem.context.get('max_length')} characters)"
    if problem.column == "as_of" and problem.kind == "string_pattern_mismatch":
        return f"must be a date written YYYY-MM-DD or YYYY-MM, got {shown(problem.value)}"
    if problem.column in ID_COLUMNS and problem.kind == "string_pattern_mismatch":
        return ("may hold only lower-case letters, digits, '.', '_' and '-', starting with a letter or digit, "
                f"got {shown(problem.value)}")
    return problem.message


def where(label: str | None, row: int | None, column: str | None) -> str:
    """Where a problem is: 'GPU specs row 3, memory_gb', 'row 7, as_of', 'row 2', or the label alone."""
    parts = [p for p in (label, f"row {row}" if row is not None else None) if p]
    place = " ".join(parts)
    return ", ".join(p for p in (place, column) if p)


def _located(label: str | None, problem: CsvProblem, expected: Sequence[str]) -> str:
    at = where(label, problem.row, problem.column)
    return f"{at}: {_sentence(problem, expected)}" if at else _sentence(problem, expected)


def as_of_date(as_of: str) -> date:
    """The date of an ``as_of`` figure; a month alone (YYYY-MM) counts from its first day."""
    parts = [int(p) for p in as_of.split("-")]
    return date(parts[0], parts[1], parts[2] if len(parts) > 2 else 1)


def is_stale(as_of: str, today: date) -> bool:
    """True when a figure dated ``as_of`` is more than STALE_AFTER_DAYS old on ``today``."""
    return (today - as_of_date(as_of)).days > STALE_AFTER_DAYS


def price_table(instances: Iterable[InstancePrice], option: PricingOption, today: date) -> list[dict[str, Any]]:
    """One row per instance: its prices per instance-hour, per GPU-hour under ``option``, date, staleness, source."""
    rows = []
    for i in instances:
        price = i.price_usd_h(option)
        rows.append({
            "provider": i.provider, "region": i.region, "instance": i.instance, "gpu": i.gpu,
            "gpu_count": i.gpu_count, "on_demand_usd_h": i.on_demand_usd_h, "spot_usd_h": i.spot_usd_h,
            "committed_usd_h": i.committed_usd_h, "usd_per_gpu_h": None if price is None else price / i.gpu_count,
            "as_of": i.as_of, "stale": is_stale(i.as_of, today), "source": i.source, "vcpus": i.vcpus,
        })
    return rows


def _date_problem(as_of: str, today: date) -> str | None:
    try:
        when = as_of_date(as_of)
    except ValueError:
        return f"is not a real date, got {shown(as_of)}"
    if when > today:
        return f"is in the future ({as_of}); give the date the price was read"
    return None


RowChecks = Callable[[S], Iterable[tuple[str, str]]]  # a valid row -> (column, sentence) of each problem it has


def _placed(problem: CsvProblem, rule_columns: Mapping[str, str]) -> list[CsvProblem]:
    """A broken rule between a row's fields (a model validator's sentences, joined by '; ') at the column of each."""
    if problem.column is not None or problem.kind != "value_error" or not rule_columns:
        return [problem]
    return [replace(problem, column=rule_columns.get(s), message=s) for s in problem.message.split("; ")]


def checked_rows(text: str, model: type[S], *, key: Callable[[S], Hashable], columns: Sequence[str], today: date,
                 checks: RowChecks[S] | None = None, label: str | None = None, what: str | None = None,
                 rule_columns: Mapping[str, str] | None = None) -> tuple[list[tuple[int, S]], list[str]]:
    """The rows of a price file as (row number, ``model``) and every problem of it, one sentence each.

    The problems: the CSV reader's (``scan_csv_records``) in the words of ``_sentence``, then for each valid row
    those ``checks`` finds and an ``as_of`` that is not a real date or is after ``today``. With ``what`` (the
    kind of list, e.g. "price list") the file is a list of prices: one without rows, or with more than
    MAX_PRICE_ROWS, is a problem too. ``label`` starts each place ('GPU specs row 3, memory_gb');
    ``rule_columns`` places the model's rules between fields, by their sentence, at a column.
    """
    rows, issues = scan_csv_records(text, model, key=key)
    problems = [_located(label, p, columns) for issue in issues for p in _placed(issue, rule_columns or {})]
    if what is not None and not rows and not issues:
        problems.append(f"the {what} has a header but no rows of prices")
    if what is not None and len(rows) > MAX_PRICE_ROWS:
        problems.append(f"the {what} has {len(rows):,} rows; the limit is {MAX_PRICE_ROWS:,}")
    for number, row in rows:
        found = list(checks(row)) if checks is not None else []
        issue = _date_problem(row.as_of, today)
        problems += [f"{where(label, number, column)}: {text}"
                     for column, text in (*found, *((("as_of", issue),) if issue else ()))]
    return rows, problems


def _price_problems(row: InstancePrice, known_gpus: Mapping[str, GpuSpec]) -> list[tuple[str, str]]:
    """An unknown GPU type, prices out of the plausible range per GPU-hour, discounts dearer than on-demand."""
    problems = []
    if row.gpu not in known_gpus:
        problems.append(("gpu", f"unknown GPU type {shown(row.gpu)}; use one of {', '.join(sorted(known_gpus))} "
                                "or add a GPU spec row for it"))
    for column in PRICE_COLUMNS:
        price = getattr(row, column)
        if price is None:
            continue
        per_gpu = price / row.gpu_count
        if not MIN_USD_PER_GPU_HOUR <= per_gpu <= MAX_USD_PER_GPU_HOUR:
            problems.append((column, (
                f"{price:g} USD per hour for {row.gpu_count} GPU(s) is {per_gpu:.4g} USD per GPU-hour, outside "
                f"{MIN_USD_PER_GPU_HOUR:g}-{MAX_USD_PER_GPU_HOUR:g}; prices are USD per instance-hour (not per "
                "second, per month or in cents)")))
        elif column != "on_demand_usd_h" and price > row.on_demand_usd_h:
            problems.append((column, f"{price:g} is above the on-demand price ({row.on_demand_usd_h:g}); spot and "
                                     "committed prices are discounts on it"))
    return problems


def parse_price_list(instances: bytes | str, gpu_specs: bytes | str | None = None, *,
                     today: date | None = None, catalog_mode: CatalogMode = ADD_TO_CATALOG) -> PriceList:
    """Validate a price list (CSV bytes or text) and optional GPU spec rows; raise PriceListError listing all.

    ``catalog_mode`` says whether the list adds to the built-in catalog (the default) or replaces it.
    """
    today = today or datetime.now(UTC).date()
    problems: list[str] = []
    extra: dict[str, GpuSpec] = {}
    if gpu_specs is not None:
        gpu_text = upload_text(gpu_specs, GPU_SPECS_LABEL)
        if gpu_text.strip():
            gpu_rows, problems = checked_rows(gpu_text, GpuSpec, key=lambda g: g.gpu, columns=GPU_COLUMNS,
                                              today=today, label=GPU_SPECS_LABEL)
            extra = {spec.gpu: spec for _, spec in gpu_rows}
    known = {**load_gpus(), **extra}
    rows, found = checked_rows(upload_text(instances, "price list"), InstancePrice,
                               key=lambda i: (i.provider, i.instance, i.region), columns=INSTANCE_COLUMNS,
                               today=today, checks=lambda row: _price_problems(row, known), what="price list")
    problems += found
    if problems:
        raise PriceListError(problems)
    return PriceList(instances=tuple(r for _, r in rows), gpus=tuple(extra.values()), catalog_mode=catalog_mode)


def records_to_csv(records: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """CSV text of rows (dicts) in the given columns; empty, None and NaN cells stay empty, 8.0 is written 8."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_cell(record.get(c)) for c in columns])
    return out.getvalue()


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def instances_csv(instances: Iterable[InstancePrice]) -> str:
    """A price list's instance rows as CSV in the columns of data/instances.csv."""
    return records_to_csv((i.model_dump() for i in instances), INSTANCE_COLUMNS)


def gpus_csv(gpus: Iterable[GpuSpec]) -> str:
    """GPU spec rows as CSV in the columns of data/gpus.csv."""
    return records_to_csv((g.model_dump() for g in gpus), GPU_COLUMNS)


def check_name(name: str, *, what: str = "price list") -> str:
    """A list's name, stripped; InputError on field "name" when empty, too long or with control characters.

    ``what`` names the kind of list in the message ("price list", "API price list").
    """
    cleaned = name.strip() if isinstance(name, str) else ""
    if not cleaned:
        raise InputError(f"Give the {what} a name.", {"name": f"Give the {what} a name."})
    if len(cleaned) > NAME_MAX_CHARS:
        message = f"The name is {len(cleaned)} characters long; at most {NAME_MAX_CHARS} are allowed."
        raise InputError(message, {"name": message})
    try:
        return check_text(cleaned)
    except ValueError as exc:  # the rule of every name a user types (planner.inputs.text)
        message = f"The name {exc}."
        raise InputError(message, {"name": message}) from None
