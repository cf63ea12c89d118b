"""Assessment files: the JSON/YAML format shared by export, import, presets and the CLI.

A file is an ``Assessment`` dumped as JSON or YAML (see data/presets/ for examples). Reading is
defensive: a size limit, UTF-8 only, safe YAML only, one document, a mapping at the top, and then the
same validation as typed answers. Any failure raises InputError and returns nothing half-read.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, Literal

import yaml

from planner.errors import CatalogError, InputError
from planner.inputs.models import Assessment
from planner.inputs.paths import data_file
from planner.inputs.validation import validate_assessment

MAX_FILE_BYTES = 256 * 1024  # an assessment is a few kB; anything larger is not one
MAX_NESTING = 20  # deeper structures are not assessments (and YAML bombs are deep)
PRESETS_DIR = data_file("presets")
PRESET_ORDER = ("blank", "chatbot_daily_updates", "content_startup")

Format = Literal["json", "yaml"]


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_NESTING:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def parse_assessment(content: bytes | str, *, filename: str = "upload") -> Assessment:
    """Read an assessment from JSON or YAML text; raise InputError in plain words if it is not one."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(
            f"{filename} is {len(raw) / 1024:,.0f} kB; an assessment file is at most "
            f"{MAX_FILE_BYTES // 1024} kB."
        )
    if not raw.strip():
        raise InputError(f"{filename} is empty.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{filename} is not UTF-8 text (byte {exc.start} is not valid).") from exc
    data: Any
    if filename.lower().endswith(".json") or text.lstrip().startswith(("{", "[")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{filename} is not valid JSON: {exc.msg} at line {exc.lineno}.") from exc
    else:
        try:
            documents = list(yaml.safe_load_all(text))
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            line = f" at line {where.line + 1}" if where is not None else ""
            raise InputError(f"{filename} is not valid YAML{line}.") from exc
        if len(documents) != 1:
            raise InputError(f"{filename} must hold exactly one assessment; it holds {len(documents)}.")
        data = documents[0]
    if not isinstance(data, dict):
        raise InputError(f"{filename} must hold a mapping of fields (project, workload, team, ...).")
    if _depth(data) > MAX_NESTING:
        raise InputError(f"{filename} is nested too deeply to be an assessment.")
    try:
        return validate_assessment(data)
    except InputError as exc:
        raise InputError(f"{filename}: {exc}", exc.field_errors) from exc


def dump_assessment(assessment: Assessment, fmt: Format = "yaml") -> str:
    """The assessment as JSON or YAML text, readable back by parse_assessment."""
    data = assessment.model_dump(mode="json")
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


@cache
def load_presets() -> dict[str, Assessment]:
    """The shipped presets by file stem, blank start first; a bad preset file is a CatalogError."""
    presets: dict[str, Assessment] = {}
    paths = sorted(PRESETS_DIR.glob("*.yaml"), key=lambda p: (
        PRESET_ORDER.index(p.stem) if p.stem in PRESET_ORDER else len(PRESET_ORDER), p.stem))
    for path in paths:
        try:
            presets[path.stem] = parse_assessment(path.read_bytes(), filename=f"data/presets/{path.name}")
        except InputError as exc:
            raise CatalogError(str(exc)) from exc
    return presets
