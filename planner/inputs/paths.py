"""Where the shipped data lives: the one place that locates ``data/``.

In a source checkout (and an editable install) the catalogs sit in ``data/`` beside the ``planner``
package; a regular ``pip install`` ships the same folder inside the package as ``planner/data``
(``pyproject.toml`` maps it there). Every loader asks :func:`data_dir` or :func:`data_file`.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from planner.errors import CatalogError

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # the ``planner`` package
DATA_DIR_NAME = "data"
MARKER_FILE = "questions.yaml"  # present in every complete data folder


@cache
def data_dir() -> Path:
    """The folder holding the shipped catalogs, presets, weights and fonts."""
    for candidate in (PACKAGE_DIR / DATA_DIR_NAME, PACKAGE_DIR.parent / DATA_DIR_NAME):
        if (candidate / MARKER_FILE).is_file():
            return candidate
    raise CatalogError(f"the planner's data folder is missing (looked in {PACKAGE_DIR / DATA_DIR_NAME} "
                       f"and {PACKAGE_DIR.parent / DATA_DIR_NAME}); reinstall the package")


def data_file(*parts: str) -> Path:
    """A file (or folder) inside the data folder, e.g. ``data_file("presets")``."""
    return data_dir().joinpath(*parts)
