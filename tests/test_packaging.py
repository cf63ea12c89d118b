"""The package as a newcomer installs it: a regular (non-editable) `pip install .` into a fresh virtualenv
carries data/ and the migrations, builds without setuptools warnings, and runs `planner assess` from any folder.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BUILD_WARNINGS = ("BuildBackendWarning", "SetuptoolsDeprecationWarning", "is absent from the `packages`",
                  "Package would be ignored")


def _pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_package_folder_is_listed_in_pyproject():
    """A new subpackage that is not listed would be missing from a regular install."""
    listed = set(_pyproject()["tool"]["setuptools"]["packages"])
    on_disk = {".".join(p.relative_to(ROOT).parts) for p in (ROOT / "planner").rglob("*")
               if p.is_dir() and p.name != "__pycache__" and any(p.glob("*.py"))}
    on_disk.add("planner")
    data = {"planner.data"} | {f"planner.data.{p.name}" for p in (ROOT / "data").iterdir() if p.is_dir()}
    assert listed == on_disk | data


DISTRIBUTION = {"yaml": "pyyaml", "fpdf": "fpdf2", "vl_convert": "vl-convert-python", "fontTools": "fonttools",
                "PIL": "pillow", "markdown_it": "markdown-it-py"}
LOCAL = {"planner", "ui", "tests", "pages", "__future__", "bench_simulation"}


def _third_party_imports(*folders: str) -> set[str]:
    stdlib = set(sys.stdlib_module_names)
    imported: set[str] = set()
    paths = [p for folder in folders for p in ((ROOT / folder).rglob("*.py") if folder.endswith("/") else
                                               [ROOT / folder])]
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    return {name for name in imported if name not in stdlib and name not in LOCAL}


def _undeclared(imported: set[str], declared: list[str]) -> list[str]:
    text = " ".join(declared).lower()
    return sorted(name for name in imported if DISTRIBUTION.get(name, name).lower() not in text)


def test_every_directly_imported_package_is_declared():
    """Importing a package the project does not declare works only by luck (another package brought it)."""
    project = _pyproject()["project"]
    app = _third_party_imports("planner/", "ui/", "pages/", "app.py")
    assert not _undeclared(app, project["dependencies"]), "imported by the app but not declared"
    tools = _third_party_imports("tests/", "bench/")
    missing = _undeclared(tools, [*project["dependencies"], *project["optional-dependencies"]["dev"]])
    assert not missing, f"imported by tests or benchmarks but not declared in the dev extra: {missing}"


def test_lock_file_pins_every_declared_dependency():
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8").lower()
    project = _pyproject()["project"]
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["dev"]]:
        name = requirement.split(">")[0].split("[")[0].split("=")[0].strip().lower()
        assert f"\n{name}==" in lock, f"{name} is not pinned in requirements.lock"


@pytest.mark.packaging
def test_regular_install_runs_from_any_folder(tmp_path):
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-v", "-w", str(wheels), str(ROOT)],
                           capture_output=True, text=True, cwd=tmp_path, timeout=300)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    warnings = [w for w in BUILD_WARNINGS if w in build.stdout + build.stderr]
    assert not warnings, f"setuptools warned while building: {warnings}"
    wheel = next(wheels.glob("*.whl"))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                              "-c", str(ROOT / "requirements.lock"), str(wheel)],
                             capture_output=True, text=True, timeout=900)
    assert install.returncode == 0, install.stderr[-3000:]

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "DATABASE_URL"}}
    preset = ROOT / "data" / "presets" / "blank.yaml"
    # --save migrates a new SQLite database in var/ of the working folder: the migrations must have shipped too.
    run = subprocess.run([str(venv / "bin" / "planner"), "assess", str(preset), "--save", "--json", "-"],
                         capture_output=True, text=True, cwd=elsewhere, env=env, timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert '"recommendation"' in run.stdout and '"saved_id": 1' in run.stdout
    assert (elsewhere / "var" / "planner.db").is_file()
    located = subprocess.run([str(python), "-c", "import planner, planner.inputs.paths as p; "
                              "print(planner.__file__); print(p.data_dir())"],
                             capture_output=True, text=True, cwd=elsewhere, env=env, timeout=60, check=True)
    package_file, data = located.stdout.split()
    assert str(venv) in package_file and str(venv) in data, located.stdout
    assert (Path(data) / "fonts" / "DejaVuSans.ttf").is_file()
    migrations = Path(package_file).parent / "store" / "migrations"
    assert (migrations / "alembic.ini").is_file() and any((migrations / "versions").glob("0001_*.py"))
