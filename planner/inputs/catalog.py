"""The shipped catalogs in ``data/``: GPU specs, instance prices, LLMs and the engine's named assumptions.

Every row is validated with the pydantic record models of ``planner.inputs.models``; a malformed file raises
``CatalogError`` naming the file, the 1-based data row (header excluded) and the field at fault, e.g.
``data/gpus.csv row 3, field bandwidth_tb_s: Input should be greater than 0``. The same CSV reader
(``read_csv_records``) validates user-uploaded price lists. The ``load_*`` functions read the shipped
files once and cache the result; callers must not mutate what they get.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, Field, ValidationError, model_validator

from planner.errors import CatalogError
from planner.inputs.models import GpuSpec, InstancePrice, LlmSpec, Sourced
from planner.inputs.paths import data_dir

M = TypeVar("M", bound=BaseModel)

MAX_REPORTED_PROBLEMS = 20  # a file with more errors than this is wrong as a whole; list the first ones
ASSUMPTION_SOURCE_PREFIX = "assumption:"

GPUS_FILE = "gpus.csv"
INSTANCES_FILE = "instances.csv"
LLMS_FILE = "llms.csv"
ASSUMPTIONS_FILE = "assumptions.yaml"

# Optional in a user's GPU spec file (written before the columns existed) but required of every shipped row:
# the serving model calibrates per vendor stack and sizes attention and MoE from these.
SHIPPED_GPU_FIELDS = ("vendor", "link_gb_s")
SHIPPED_LLM_FIELDS = ("hidden_size", "attention_heads")


class Assumption(Sourced):
    """One named engine constant from data/assumptions.yaml, with its unit, meaning and provenance."""

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$", max_length=80)
    value: float
    unit: str = Field(min_length=1, max_length=60)
    description: str = Field(min_length=3, max_length=200)
    kind: Literal["sourced", "assumption"]

    @model_validator(mode="after")
    def _assumptions_say_so(self) -> Assumption:
        is_labelled = self.source.lower().startswith(ASSUMPTION_SOURCE_PREFIX)
        if self.kind == "assumption" and not is_labelled:
            raise ValueError(f"an assumption's source must start with '{ASSUMPTION_SOURCE_PREFIX}'")
        if self.kind == "sourced" and is_labelled:
            raise ValueError("a sourced value's source must name the source, not 'assumption:'")
        return self


def _display_name(filename: str) -> str:
    return f"data/{filename}"


def _describe_error(error: Mapping[str, Any]) -> tuple[str | None, str]:
    """The field name (or None for a whole-record rule) and a plain message of one pydantic error."""
    loc = error.get("loc", ())
    field = ".".join(str(part) for part in loc) if loc else None
    message = str(error.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ")
    return field, message


def _where(name: str, location: str, field: str | None) -> str:
    return f"{name} {location}" + (f", field {field}" if field else "")


def _raise_problems(name: str, problems: Sequence[str]) -> None:
    if not problems:
        return
    shown = list(problems[:MAX_REPORTED_PROBLEMS])
    if len(problems) > MAX_REPORTED_PROBLEMS:
        shown.append(f"... and {len(problems) - MAX_REPORTED_PROBLEMS} more problems in {name}")
    raise CatalogError("\n".join(shown))


def _read_text(source: Path | str | bytes, name: str) -> str:
    """The text of a file path, of uploaded bytes, or the string itself (already CSV/YAML text)."""
    if isinstance(source, Path):
        try:
            return source.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CatalogError(f"{name}: cannot read the file ({exc.strerror or exc})") from exc
        except UnicodeDecodeError as exc:
            raise CatalogError(f"{name}: the file is not UTF-8 text") from exc
    if isinstance(source, bytes):
        try:
            return source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise CatalogError(f"{name}: the file is not UTF-8 text") from exc
    return source.removeprefix("\ufeff")


@dataclass(frozen=True)
class CsvProblem:
    """One problem of a CSV file: where (data row, column) and what, with pydantic's details when it has them.

    ``row`` is the 1-based data row (the header is not counted), None for the header or the whole file;
    ``kind`` is pydantic's error type or one of "missing_columns", "unknown_columns", "repeated_columns",
    "cells", "duplicate"; ``value`` is the cell text at fault (None when there is none).
    """

    row: int | None
    column: str | None
    kind: str
    message: str
    value: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)


def _header_problems(columns: list[str], model: type[BaseModel]) -> list[CsvProblem]:
    """Required columns missing, columns the model does not know, columns named twice."""
    fields = model.model_fields
    required = [f for f, info in fields.items() if info.is_required()]
    missing = [f for f in required if f not in columns]
    unknown = [c for c in columns if c not in fields]
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    problems: list[CsvProblem] = []
    if missing:
        problems.append(CsvProblem(None, None, "missing_columns", f"missing column(s) {', '.join(missing)}",
                                   context={"columns": missing}))
    if unknown:
        problems.append(CsvProblem(
            None, None, "unknown_columns",
            f"unknown column(s) {', '.join(c or '(blank)' for c in unknown)}; expected {', '.join(fields)}",
            context={"columns": unknown}))
    if repeated:
        problems.append(CsvProblem(None, None, "repeated_columns", f"repeated column(s) {', '.join(repeated)}",
                                   context={"columns": repeated}))
    return problems


def scan_csv_records(
    text: str,
    model: type[M],
    *,
    key: Callable[[M], Hashable] | None = None,
) -> tuple[list[tuple[int, M]], list[CsvProblem]]:
    """The valid rows of CSV text as (data row number, ``model``) and every problem found.

    Header problems stop the scan (no row can be read against a wrong header).
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if header is None or not any(cell.strip() for cell in header):
        return [], [CsvProblem(None, None, "empty", "the file is empty; expected a header row of column names")]
    columns = [cell.strip() for cell in header]

    header_problems = _header_problems(columns, model)
    if header_problems:
        return [], header_problems

    records: list[tuple[int, M]] = []
    problems: list[CsvProblem] = []
    seen: dict[Hashable, int] = {}
    for row_number, cells in _rows(reader):
        if cells is None:
            problems.append(CsvProblem(row_number, None, "csv", "cannot be read as CSV (an unclosed quote or a "
                                                                "cell over 128 kB?); nothing after it was read"))
            break
        if not any(cell.strip() for cell in cells):
            continue  # blank lines (and all-empty rows spreadsheets export) carry no data
        if len(cells) != len(columns):
            problems.append(CsvProblem(row_number, None, "cells",
                                       f"has {len(cells)} cells but the header has {len(columns)} columns"))
            continue
        values = {col: cell.strip() for col, cell in zip(columns, cells, strict=True) if cell.strip()}
        try:
            record = model.model_validate(values)
        except ValidationError as exc:
            for error in exc.errors():
                column, message = _describe_error(error)
                problems.append(CsvProblem(row_number, column, str(error.get("type", "")), message,
                                           values.get(column) if column else None, dict(error.get("ctx") or {})))
            continue
        identity: Hashable = key(record) if key else tuple(sorted(values.items()))
        if identity in seen:
            what = f" ({_format_key(identity)})" if key else ""
            problems.append(CsvProblem(row_number, None, "duplicate", f"duplicate of row {seen[identity]}{what}",
                                       context={"first_row": seen[identity]}))
            continue
        seen[identity] = row_number
        records.append((row_number, record))
    return records, problems


def _rows(reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str] | None]]:
    """Numbered data rows; a row the csv module cannot read comes as None, and ends the rows."""
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield number, None
            return
        yield number, cells


def format_problem(name: str, problem: CsvProblem) -> str:
    """A problem as the catalogs report it: ``data/gpus.csv row 3, field bandwidth_tb_s: message``."""
    if problem.row is None:
        return f"{name}: {problem.message}"
    return f"{_where(name, f'row {problem.row}', problem.column)}: {problem.message}"


def read_csv_records(
    path_or_text: Path | str | bytes,
    model: type[M],
    *,
    name: str,
    key: Callable[[M], Hashable] | None = None,
) -> list[M]:
    """Validate every row of a CSV (a Path, uploaded bytes or CSV text) as ``model``; empty cells: None."""
    records, problems = scan_csv_records(_read_text(path_or_text, name), model, key=key)
    _raise_problems(name, [format_problem(name, p) for p in problems])
    return [record for _, record in records]


def _format_key(identity: Hashable) -> str:
    if isinstance(identity, tuple):
        return ", ".join(str(part) for part in identity)
    return str(identity)


def read_gpus(path_or_text: Path | str | bytes, *, name: str) -> dict[str, GpuSpec]:
    """GPU specs from a gpus.csv-shaped source, keyed by GPU name; duplicates are errors."""
    rows = read_csv_records(path_or_text, GpuSpec, name=name, key=lambda g: g.gpu)
    return {g.gpu: g for g in rows}


def read_instances(
    path_or_text: Path | str | bytes, gpus: Mapping[str, GpuSpec], *, name: str
) -> tuple[InstancePrice, ...]:
    """Instance prices from an instances.csv-shaped source; every GPU must be one of ``gpus``."""
    rows = read_csv_records(
        path_or_text, InstancePrice, name=name, key=lambda i: (i.provider, i.instance, i.region)
    )
    problems = [
        f"{name} row {n}, field gpu: unknown GPU '{row.gpu}'; known GPUs: {', '.join(sorted(gpus))}"
        for n, row in enumerate(rows, start=1)
        if row.gpu not in gpus
    ]
    _raise_problems(name, problems)
    return tuple(rows)


def read_llms(path_or_text: Path | str | bytes, *, name: str) -> dict[str, LlmSpec]:
    """LLM architecture rows from an llms.csv-shaped source, keyed by id; duplicates are errors."""
    rows = read_csv_records(path_or_text, LlmSpec, name=name, key=lambda m: m.id)
    return {m.id: m for m in rows}


def _read_shipped(filename: str, model: type[M], key: Callable[[M], Hashable], required: Sequence[str]) -> list[M]:
    """The rows of a shipped CSV catalog, each validated and holding every field in ``required``."""
    name = _display_name(filename)
    records, problems = scan_csv_records(_read_text(data_dir() / filename, name), model, key=key)
    messages = [format_problem(name, p) for p in problems]
    messages += [f"{_where(name, f'row {number}', field)}: required in the shipped catalog"
                 for number, record in records for field in required if getattr(record, field) is None]
    _raise_problems(name, messages)
    return [record for _, record in records]


def read_assumptions(path_or_text: Path | str | bytes, *, name: str) -> dict[str, Assumption]:
    """Named engine constants from an assumptions.yaml-shaped source (a list of entries), keyed by key."""
    try:
        entries = yaml.safe_load(_read_text(path_or_text, name))
    except yaml.YAMLError as exc:
        raise CatalogError(f"{name}: not valid YAML ({exc})") from exc
    if not isinstance(entries, list) or not entries:
        raise CatalogError(f"{name}: expected a non-empty list of entries (key, value, unit, ...)")

    assumptions: dict[str, Assumption] = {}
    problems: list[str] = []
    for number, entry in enumerate(entries, start=1):
        label = f"entry {number}"
        if isinstance(entry, dict) and isinstance(entry.get("key"), str):
            label += f" ({entry['key']})"
        if not isinstance(entry, dict):
            problems.append(f"{name} {label}: expected a mapping of key, value, unit, ...")
            continue
        try:
            item = Assumption.model_validate(entry)
        except ValidationError as exc:
            for error in exc.errors():
                field, message = _describe_error(error)
                problems.append(f"{_where(name, label, field)}: {message}")
            continue
        if item.key in assumptions:
            problems.append(f"{name} {label}: duplicate key {item.key}")
            continue
        assumptions[item.key] = item
    _raise_problems(name, problems)
    return assumptions


@cache
def load_gpus() -> Mapping[str, GpuSpec]:
    """The shipped GPU specs (data/gpus.csv), keyed by GPU name."""
    rows = _read_shipped(GPUS_FILE, GpuSpec, lambda g: g.gpu, SHIPPED_GPU_FIELDS)
    return MappingProxyType({g.gpu: g for g in rows})


@cache
def load_instances() -> tuple[InstancePrice, ...]:
    """The shipped instance prices (data/instances.csv), checked against the GPU catalog."""
    return read_instances(data_dir() / INSTANCES_FILE, load_gpus(), name=_display_name(INSTANCES_FILE))


@cache
def load_llms() -> Mapping[str, LlmSpec]:
    """The shipped LLM catalog (data/llms.csv), keyed by model id."""
    rows = _read_shipped(LLMS_FILE, LlmSpec, lambda m: m.id, SHIPPED_LLM_FIELDS)
    return MappingProxyType({m.id: m for m in rows})


@cache
def load_assumptions() -> Mapping[str, Assumption]:
    """The shipped named engine constants (data/assumptions.yaml), keyed by dotted key."""
    return MappingProxyType(
        read_assumptions(data_dir() / ASSUMPTIONS_FILE, name=_display_name(ASSUMPTIONS_FILE))
    )
