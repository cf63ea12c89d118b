"""The package as a newcomer installs it: a regular (non-editable) `pip install .` into a fresh virtualenv
carries data/ and the migrations, builds without setuptools warnings, and runs `planner assess` from any folder.
"""

from __future__ import annotations

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


def test_every_directly_imported_package_is_declared():
    """Importing a package the project does not declare works only by luck (another package brought it)."""
    declared = " ".join(_pyproject()["project"]["dependencies"]).lower()
    distribution = {"yaml": "pyyaml", "fpdf": "fpdf2", "vl_convert": "vl-convert-python", "fontTools": "fonttools",
                    "PIL": "pillow", "psycopg": "psycopg"}
    stdlib = set(sys.stdlib_module_names)
    imported: set[str] = set()
    for path in [*ROOT.joinpath("planner").rglob("*.py"), *ROOT.joinpath("ui").rglob("*.py"),
                 *ROOT.joinpath("pages").rglob("*.py"), ROOT / "app.py"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in {"import", "from"} and not line.startswith((" ", "\t")):
                imported.add(words[1].split(".")[0])
    third_party = {name for name in imported if name not in stdlib and name not in {"planner", "ui", "__future__"}}
    missing = sorted(name for name in third_party if distribution.get(name, name).lower() not in declared)
    assert not missing, f"imported but not declared in pyproject.toml: {missing}"


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
