"""The house rules of the code layout (README "Layout"), checked on the source so they cannot drift:
imports run one way along the flow, nothing in planner/ imports Streamlit, and modules and functions stay small.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PLANNER = ROOT / "planner"
# The flow, lowest first: a module may import its own subpackage and anything ranked lower.
RANKS = {"errors": 0, "inputs": 1, "estimate": 2, "decide": 3, "store": 4, "history": 5, "present": 6, "cli": 7}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.relative_to(ROOT).parts)


def _imports(path: Path) -> list[str]:
    """Absolute module names imported by a file (relative imports resolved against its package)."""
    names: list[str] = []
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names += [f"{base}.{alias.name}" for alias in node.names] if base == "planner" else [base]
    return names


def _area(module: str) -> str | None:
    """The subpackage (or top-level module) of planner a dotted name belongs to."""
    parts = module.split(".")
    return parts[1] if parts[0] == "planner" and len(parts) > 1 else None


def _rank_of(path: Path) -> tuple[str, int]:
    area = path.relative_to(PLANNER).parts[0].removesuffix(".py")
    return area, RANKS.get(area, -1)


@pytest.mark.parametrize("path", _modules(PLANNER), ids=lambda p: str(p.relative_to(ROOT)))
def test_planner_imports_run_one_way(path):
    if path.parent == PLANNER and path.name == "__init__.py":
        return
    area, rank = _rank_of(path)
    assert rank >= 0, f"{path.relative_to(ROOT)} is outside the known areas {sorted(RANKS)}"
    for module in _imports(path):
        assert not module.startswith(("streamlit", "ui", "pages")), f"{path.name} imports {module}"
        target = _area(module)
        if target is None or target == "__version__":
            continue
        assert target in RANKS, f"{path.relative_to(ROOT)} imports {module}, outside the known areas"
        assert RANKS[target] <= rank, (
            f"{path.relative_to(ROOT)} ({area}) imports {module} ({target}): imports run "
            "cli/present -> history -> store -> decide -> estimate -> inputs -> errors, never back")


@pytest.mark.parametrize("path", [*_modules(ROOT / "ui"), ROOT / "app.py", *_modules(ROOT / "pages")],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_ui_never_reaches_into_pages(path):
    for module in _imports(path):
        assert not module.startswith("pages"), f"{path.relative_to(ROOT)} imports {module}"


@pytest.mark.parametrize("path", _modules(PLANNER) + _modules(ROOT / "ui") + _modules(ROOT / "pages"),
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_small(path):
    source = path.read_text(encoding="utf-8")
    assert source.count("\n") <= MAX_MODULE_LINES, f"{path.relative_to(ROOT)} has {source.count(chr(10))} lines"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            assert length <= MAX_FUNCTION_LINES, f"{path.relative_to(ROOT)}:{node.lineno} {node.name} is {length} lines"


def test_each_subpackage_names_its_public_surface():
    for init in sorted(PLANNER.glob("*/__init__.py")):
        tree = ast.parse(init.read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), f"{init.relative_to(ROOT)} has no docstring"
        exported = [n for n in tree.body if isinstance(n, ast.Assign)
                    and any(isinstance(t, ast.Name) and t.id == "__all__" for t in n.targets)]
        assert exported, f"{init.relative_to(ROOT)} does not name its public surface in __all__"


def test_top_level_package_exports_evaluate():
    from planner import evaluate
    from planner.estimate.engine import evaluate as engine_evaluate

    assert evaluate is engine_evaluate
