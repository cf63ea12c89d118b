"""Assessment files: the JSON/YAML format shared by export, import, presets and the CLI.

A file is an ``Assessment`` dumped as JSON or YAML (see data/presets/ for examples). Reading is
defensive: a size limit, UTF-8 only, safe YAML only (no anchors or aliases), nesting bounded while parsing,
one document, a mapping at the top, and then the same validation as typed answers. Any failure raises
InputError and returns nothing half-read.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any, BinaryIO, Literal

import yaml

from planner.errors import CatalogError, InputError
from planner.inputs.limits import MAX_ASSESSMENT_FILE_BYTES
from planner.inputs.models import Assessment
from planner.inputs.paths import data_file
from planner.inputs.units import size_text
from planner.inputs.validation import validate_assessment

MAX_FILE_BYTES = MAX_ASSESSMENT_FILE_BYTES
MAX_NESTING = 20  # levels of mappings and lists; an assessment has 4, so deeper is not one
PRESETS_DIR = data_file("presets")
PRESET_ORDER = ("blank", "chatbot_daily_updates", "content_startup")

Format = Literal["json", "yaml"]


class _PlainYamlLoader(yaml.SafeLoader):
    """Safe YAML without anchors and aliases, nested at most MAX_NESTING deep, both refused while composing.

    Aliases let a 500-byte file expand to billions of nodes (the "billion laughs"), and deep nesting exhausts
    Python's recursion; an assessment needs neither, so both stop the parse before anything is built.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise yaml.composer.ComposerError(None, None, "anchors and aliases (& and *) are not allowed",
                                              event.start_mark)
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise yaml.composer.ComposerError(None, None, "nested too deeply", event.start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether JSON text opens more than ``limit`` nested arrays/objects: one linear pass, no recursion."""
    depth = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


def too_large(label: str, *, size_bytes: int | None, limit_bytes: int, what: str) -> InputError:
    """The one sentence for a file over its limit: its real size when known, else 'more than' the limit."""
    size = f"is {size_text(size_bytes)}" if size_bytes is not None else f"is more than {size_text(limit_bytes)}"
    return InputError(f"{label} {size}; {what} is at most {size_text(limit_bytes)}.")


def read_limited(stream: BinaryIO, *, label: str, limit_bytes: int, what: str,
                 size_bytes: int | None = None) -> bytes:
    """Read at most ``limit_bytes`` from a stream (a file, stdin, /dev/zero): never more than one byte past it.

    ``size_bytes`` (e.g. from ``os.stat`` of a regular file) lets the message say the real size.
    """
    content = stream.read(limit_bytes + 1)
    if len(content) > limit_bytes:
        raise too_large(label, size_bytes=size_bytes if size_bytes and size_bytes > limit_bytes else None,
                        limit_bytes=limit_bytes, what=what)
    return content


def _load_json(text: str, filename: str) -> Any:
    if _json_depth_exceeds(text, MAX_NESTING):
        raise InputError(f"{filename} is nested too deeply to be an assessment (more than {MAX_NESTING} levels).")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{filename} is not valid JSON: {exc.msg} at line {exc.lineno}.") from exc


def _load_yaml(text: str, filename: str) -> Any:
    loader = _PlainYamlLoader(text)
    try:
        documents = []
        while loader.check_data():
            documents.append(loader.get_data())
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        problem = getattr(exc, "problem", None)
        if problem in {"anchors and aliases (& and *) are not allowed", "nested too deeply"}:
            reason = ("uses YAML anchors or aliases (& and *), which assessment files do not allow"
                      if problem.startswith("anchors") else
                      f"is nested too deeply to be an assessment (more than {MAX_NESTING} levels)")
            raise InputError(f"{filename} {reason}{line}.") from exc
        raise InputError(f"{filename} is not valid YAML{line}.") from exc
    finally:
        loader.dispose()
    if len(documents) != 1:
        raise InputError(f"{filename} must hold exactly one assessment; it holds {len(documents)}.")
    return documents[0]


def parse_assessment(content: bytes | str, *, filename: str = "upload") -> Assessment:
    """Read an assessment from JSON or YAML text; raise InputError in plain words if it is not one."""
    raw = content.encode("utf-8") if isinstance(content, str) else content
    if len(raw) > MAX_FILE_BYTES:
        raise too_large(filename, size_bytes=len(raw), limit_bytes=MAX_FILE_BYTES, what="an assessment file")
    if not raw.strip():
        raise InputError(f"{filename} is empty.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{filename} is not UTF-8 text (byte {exc.start} is not valid).") from exc
    is_json = filename.lower().endswith(".json") or text.lstrip().startswith(("{", "["))
    try:
        data = _load_json(text, filename) if is_json else _load_yaml(text, filename)
    except RecursionError as exc:  # a last guard: the depth checks above stop every nesting we know of
        raise InputError(f"{filename} is nested too deeply to be an assessment.") from exc
    if not isinstance(data, dict):
        raise InputError(f"{filename} must hold a mapping of fields (project, workload, team, ...).")
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
