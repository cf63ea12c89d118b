"""Shared fixtures: a throw-away database for every app test, and a fresh AppTest of the app."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from planner import store

ROOT = Path(__file__).resolve().parent.parent
APP_TIMEOUT_S = 30  # first runs import pandas/altair and migrate a new SQLite file

# `streamlit run app.py` puts the app's folder on sys.path, which makes the `ui` package importable;
# do the same for the tests that import it directly.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture
def temp_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A DATABASE_URL in tmp_path, so app tests never touch var/planner.db or each other's rows."""
    url = f"sqlite:///{(tmp_path / 'planner.db').as_posix()}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    st.cache_resource.clear()
    store.dispose_engines()


@pytest.fixture
def app(temp_database: str) -> AppTest:
    """The whole app (router and pages) after its first run, on the Assess page, with its own database."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=APP_TIMEOUT_S)
    at.run()
    assert not at.exception
    return at
